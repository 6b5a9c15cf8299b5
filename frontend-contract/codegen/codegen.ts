// GraphQL Code Generator: one TypeScript file with the types of every operation in ../operations/<client>/.
// KKR_TYPES_OUT and KKR_OPERATIONS override the output file and the operations glob (used by the staleness test).
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  overwrite: true,
  schema: "../schema.graphql",
  documents: process.env.KKR_OPERATIONS ?? "../operations/**/*.graphql",
  generates: {
    [process.env.KKR_TYPES_OUT ?? "../types/operations.ts"]: {
      plugins: ["typescript-operations"],
      config: {
        enumsAsTypes: true,
        onlyOperationTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
        defaultScalarType: "unknown",
        scalars: {
          Date: "string",
          DateTime: "string",
          Decimal: "string",
          FieldPath: "Array<string | number>",
          JSON: "unknown",
          UUID: "string",
        },
      },
    },
  },
};

export default config;
