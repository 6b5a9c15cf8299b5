-- Secondary suppression: the hypercube method (docs/benchmarking.md, "Disclosure control", rule 3).
-- Returns the keys to suppress besides the primary cells.
CREATE FUNCTION kkr_aggregate_protect(p_cells kkr_aggregate_cell[], p_d integer, p_protection_pct numeric)
    RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE

    AS $$
    DECLARE
        sep constant text := chr(30);
        tot constant text := chr(31);
        cap constant integer := CASE WHEN p_d <= 3 THEN 8 WHEN p_d = 4 THEN 5 ELSE 3 END;
        children_cap constant integer := 300;
        frac constant numeric := p_protection_pct / 100;
        sup jsonb;  -- the suppressed keys (a jsonb object: `?` looks a key up in O(log n))
        added text[] := '{}';
        p kkr_aggregate_cell;
        pk text[];
        js integer;
        thr numeric;
        chosen text[];
        corner_keys text[];
        corner_min_s numeric;
        -- corners of the hypercubes chosen so far -> the largest smallest-corner of a hypercube holding them
        moved jsonb := '{}';
        -- look-ups in O(log n): key -> sum, and the neighbour index: "j:rest" -> [[value, sum, key], ...]
        -- where rest is a cell's key with coordinate j blanked (P's neighbours along j share it)
        cmap jsonb;
        nbmap jsonb;
        -- primary cells protected at once by a hypercube of primary siblings (nothing new suppressed)
        free jsonb;
    BEGIN
        sup := coalesce((SELECT jsonb_object_agg(c.k, true) FROM unnest(p_cells) c WHERE c.primary_reason IS NOT NULL),
                        '{}');
        IF p_d = 0 OR sup = '{}' THEN
            RETURN '{}';
        END IF;
        SELECT jsonb_object_agg(c.k, c.s) INTO cmap FROM unnest(p_cells) c;
        SELECT jsonb_object_agg(x.slot, x.members) INTO nbmap FROM (
            SELECT j || ':' || array_to_string(c.parts[1:j-1] || ''::text || c.parts[j+1:p_d], sep) AS slot,
                   jsonb_agg(jsonb_build_array(c.parts[j], c.s, c.k)) AS members
            FROM (SELECT c.k, c.s, string_to_array(c.k, sep) AS parts FROM unnest(p_cells) c) c
            CROSS JOIN generate_series(1, p_d) j
            GROUP BY 1) x;
        -- At once, in one statement: a primary cell of the finest grouping (no total) that is a corner of a
        -- hypercube of siblings whose corners are all primary cells holding p % of it needs nothing new
        -- suppressed, whatever else is chosen (suppressing more never unprotects).  Per dimension its
        -- largest primary siblings are tried (a few); the rest go through the search below.
        WITH RECURSIVE c AS (
            SELECT x.k, abs(x.s) AS a, string_to_array(x.k, sep) AS parts
            FROM unnest(p_cells) x WHERE x.primary_reason IS NOT NULL AND x.mask = 0
        ), slots AS (
            -- per dimension j the line of P along j: its key with coordinate j blanked
            SELECT c.k, c.a, c.parts, j,
                   j || ':' || array_to_string(c.parts[1:j-1] || ''::text || c.parts[j+1:p_d], sep) AS slot
            FROM c CROSS JOIN generate_series(1, p_d) j
        ), top AS (
            -- the largest few primary cells of each line (slot), where P's siblings come from
            SELECT * FROM (SELECT sl.*, row_number() OVER (PARTITION BY sl.slot ORDER BY sl.a DESC, sl.k) AS rank
                           FROM slots sl) x
            WHERE x.rank <= 3
        ), nb AS (
            -- P's siblings along j among them, large enough
            SELECT sa.k, sa.j, sb.parts[sa.j] AS t,
                   row_number() OVER (PARTITION BY sa.k, sa.j ORDER BY sb.rank) AS rank
            FROM slots sa JOIN top sb ON sb.slot = sa.slot AND sb.k <> sa.k AND sb.a >= frac * sa.a
        ), combos (k, a, parts, j, corners) AS (
            -- the corners' keys so far (dimensions 1..j), P's own first
            SELECT c.k, c.a, c.parts, 0, ARRAY[''::text] FROM c
            UNION ALL
            SELECT co.k, co.a, co.parts, n.j,
                   ARRAY(SELECT x || CASE WHEN n.j > 1 THEN sep ELSE '' END || y
                         FROM unnest(co.corners) WITH ORDINALITY u(x, ux),
                              unnest(ARRAY[co.parts[n.j], n.t]) WITH ORDINALITY v(y, vy)
                         ORDER BY vy, ux)
            FROM combos co JOIN nb n ON n.k = co.k AND n.j = co.j + 1 AND n.rank <= 2
        ), cubes AS (
            -- per P the hypercube (if any) whose 2^d corners are all primary and large enough, largest first
            SELECT DISTINCT ON (co.k COLLATE "C") co.k, min(x.a) AS min_s, co.corners AS keys
            FROM combos co CROSS JOIN LATERAL unnest(co.corners) ck(key) JOIN c x ON x.k = ck.key
            WHERE co.j = p_d
            GROUP BY co.k, co.corners
            HAVING count(*) = 1 << p_d AND min(x.a) >= frac * max(co.a)
            ORDER BY co.k COLLATE "C", min(x.a) DESC, co.corners COLLATE "C"
        )
        SELECT coalesce(jsonb_object_agg(cu.k, true), '{}'),
               coalesce((SELECT jsonb_object_agg(m.key, m.min_s) FROM (
                   SELECT x AS key, max(cu2.min_s) AS min_s FROM cubes cu2 CROSS JOIN LATERAL unnest(cu2.keys) x
                   GROUP BY x) m), '{}')
        INTO free, moved FROM cubes cu;
        FOR p IN SELECT * FROM unnest(p_cells) c WHERE c.primary_reason IS NOT NULL AND NOT free ? c.k
                 ORDER BY abs(c.s) DESC, c.n DESC, c.k LOOP
            thr := frac * abs(p.s);
            -- Already a corner of a chosen hypercube whose every corner is large enough for P: P moves with it.
            IF (moved ->> p.k)::numeric >= thr THEN
                CONTINUE;
            END IF;
            pk := string_to_array(p.k, sep);
            -- The first dimension where P is a total: its second index may be a group of values (children),
            -- each moving by its own amount, their amounts adding up to P's.
            js := coalesce(array_position(pk, tot), 0);
            WITH RECURSIVE neighbours AS (
                -- per dimension j: the second indices t whose neighbour (P with coordinate j = t) exists
                -- (and, but for the children of dimension js, is large enough); suppressed ones first, and
                -- among them primary cells still waiting for protection
                SELECT n.j, n.t, CASE WHEN pk[n.j] <> tot AND n.t <> tot THEN -1 ELSE 1 END AS sign,
                       row_number() OVER (PARTITION BY n.j ORDER BY (n.t = tot) DESC, sup ? n.k DESC,
                                          (sup ? n.k AND NOT moved ? n.k) DESC, abs(n.s) DESC, n.t) AS rank
                FROM (SELECT j, e ->> 0 AS t, (e ->> 1)::numeric AS s, e ->> 2 AS k
                      FROM generate_series(1, p_d) j,
                           jsonb_array_elements(nbmap -> (j || ':' || array_to_string(pk[1:j-1] || ''::text
                                                                                     || pk[j+1:p_d], sep))) e) n
                WHERE n.t <> pk[n.j] AND (n.j = js OR abs(n.s) >= thr)
            ), combos (j, seconds, signs, keys) AS (
                -- keys: the corners' keys over dimensions 1..j, element b + 1 for the corner b (bit j - 1 set:
                -- the second index along j)
                SELECT 0, '{}'::text[], '{}'::integer[], ARRAY[''::text]
                UNION ALL
                SELECT n.j, c.seconds || n.t, c.signs || n.sign,
                       ARRAY(SELECT x || CASE WHEN n.j > 1 THEN sep ELSE '' END || y
                             FROM unnest(ARRAY[pk[n.j], n.t]) WITH ORDINALITY v(y, vy),
                                  unnest(c.keys) WITH ORDINALITY u(x, ux)
                             ORDER BY vy, ux)
                FROM combos c JOIN neighbours n ON n.j = c.j + 1
                     AND n.rank <= CASE WHEN n.j = js THEN children_cap ELSE cap END
            ), corners AS (
                SELECT c.seconds, u.b, js > 0 AND (u.b >> (js - 1)) & 1 = 1 AS child_corner, u.key
                FROM combos c CROSS JOIN LATERAL (SELECT key, (ord - 1)::integer AS b
                                                  FROM unnest(c.keys) WITH ORDINALITY x(key, ord)) u
                WHERE c.j = p_d
            ), per_combo AS (
                -- one hypercube per combination; with js, one per child of the same rest (the other dimensions)
                SELECT co.seconds,
                       CASE WHEN js > 0 THEN co.seconds[1:js-1] || co.seconds[js+1:p_d] ELSE co.seconds END AS rest,
                       coalesce(min(abs((cmap ->> co.key)::numeric)) FILTER (WHERE js = 0 OR co.child_corner), 0)
                           AS m_child,
                       min(abs((cmap ->> co.key)::numeric)) FILTER (WHERE js > 0 AND NOT co.child_corner) AS m_top,
                       array_agg(co.key) AS keys
                FROM corners co
                GROUP BY co.seconds
                HAVING bool_and(cmap ? co.key)
            ), running AS (
                SELECT r.*, sum(r.m_child) OVER w AS reach, row_number() OVER w AS nth
                FROM per_combo r WHERE js = 0 OR r.m_top >= thr
                WINDOW w AS (PARTITION BY r.rest ORDER BY r.m_child DESC, r.seconds::text ROWS UNBOUNDED PRECEDING)
            ), needed AS (
                -- the largest children until their amounts reach the protection level
                SELECT * FROM running WHERE nth = 1 OR reach - m_child < thr
            ), candidates AS (
                SELECT n.rest, max(n.reach) AS reach, least(min(n.m_child), min(n.m_top)) AS min_s,
                       array_agg(DISTINCT k.key) AS keys
                FROM needed n CROSS JOIN LATERAL unnest(n.keys) k(key)
                GROUP BY n.rest
                HAVING max(n.reach) >= thr
            )
            SELECT best.keys, best.min_s INTO corner_keys, corner_min_s FROM (
                SELECT ca.keys, ca.min_s, ca.rest,
                       (SELECT sum(CASE WHEN sup ? x THEN 0 ELSE 1 + length(x) - length(replace(x, tot, '')) END)
                        FROM unnest(ca.keys) x) AS cost,
                       (SELECT coalesce(sum(abs((cmap ->> x)::numeric)), 0) FROM unnest(ca.keys) x
                        WHERE NOT sup ? x) AS loss,
                       (SELECT count(*) FROM unnest(ca.keys) x WHERE sup ? x AND NOT moved ? x) AS waiting
                FROM candidates ca
                -- Siblings before totals: a hypercube of siblings leaves every total unchanged, so it stays
                -- protective whatever coarser table (groupBy of fewer dimensions) is published next to it.
                -- Then the fewest new suppressions, then the most primary cells protected along the way.
                ORDER BY cardinality(array_positions(ca.rest, tot)), cost, waiting DESC, loss, ca.rest::text
                LIMIT 1
            ) best;
            IF corner_keys IS NULL THEN
                -- No hypercube protects P: nothing of this table is published.
                RETURN ARRAY(SELECT c.k FROM unnest(p_cells) c WHERE c.primary_reason IS NULL);
            END IF;
            moved := moved || (SELECT jsonb_object_agg(x, greatest(coalesce((moved ->> x)::numeric, 0),
                                                                   coalesce(corner_min_s, 0)))
                               FROM unnest(corner_keys) x);
            chosen := ARRAY(SELECT x FROM unnest(corner_keys) x WHERE NOT sup ? x);
            sup := sup || coalesce((SELECT jsonb_object_agg(x, true) FROM unnest(chosen) x), '{}');
            added := added || chosen;
        END LOOP;
        RETURN added;
    END
    $$
