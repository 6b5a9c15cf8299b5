import { demoRoles, mintDemoToken, setToken } from "../api";
import { alert, h } from "../dom";

/** Sign-in: paste a bearer token, or (development) pick a demo role. */
export async function signIn(main: HTMLElement, signedIn: () => Promise<void>, problem?: string): Promise<void> {
  const message = h("div", { id: "signin-message" });
  if (problem) message.append(alert(problem));
  const tokenField = h("textarea", {
    id: "token",
    name: "token",
    rows: 4,
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": "token-help",
  });
  const form = h(
    "form",
    {
      class: "signin",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        main.removeAttribute("data-ready");
        const value = tokenField.value.trim();
        if (!value) {
          message.replaceChildren(alert("Indsæt et token."));
          main.setAttribute("data-ready", "true");
          tokenField.focus();
          return;
        }
        setToken(value);
        await signedIn();
      },
    },
    h("label", { for: "token" }, "Adgangstoken"),
    h("p", { id: "token-help", class: "help" }, "Indsæt dit bearer-token fra identitetsudbyderen eller fra kkr mint-token."),
    tokenField,
    h("button", { type: "submit" }, "Log ind"),
  );
  main.replaceChildren(h("h1", {}, "Log ind"), message, form);
  const roles = await demoRoles();
  main.setAttribute("data-ready", "true");
  if (roles.length === 0) return;
  main.append(
    h(
      "section",
      { "aria-labelledby": "demo-heading", class: "demo" },
      h("h2", { id: "demo-heading" }, "Demoroller (kun udvikling)"),
      h("p", { class: "help" }, "Udsteder et udviklingstoken til rollen og logger ind med det."),
      h(
        "ul",
        { class: "roles" },
        roles.map((role) =>
          h(
            "li",
            {},
            h(
              "button",
              {
                type: "button",
                "data-role": role.role,
                onclick: async () => {
                  main.removeAttribute("data-ready");
                  try {
                    setToken(await mintDemoToken(role.role));
                    await signedIn();
                  } catch (error) {
                    message.replaceChildren(alert(String(error)));
                    main.setAttribute("data-ready", "true");
                  }
                },
              },
              role.label,
            ),
          ),
        ),
      ),
    ),
  );
}
