// Typed GraphQL operations from the server's schema (api/schema.graphql), generated at
// build time into src/gql/ (ignored): `graphql(\`query …\`)` in src/api/*.ts returns a
// document typed with its result and variables. documentMode "string" keeps the graphql
// parser out of the bundle: the document is sent as the text it was written.
import type { CodegenConfig } from '@graphql-codegen/cli'

const config: CodegenConfig = {
  schema: '../api/schema.graphql',
  documents: ['src/**/*.ts', 'src/**/*.vue', '!src/gql/**/*'],
  ignoreNoDocuments: true,
  generates: {
    './src/gql/': {
      preset: 'client',
      config: {
        documentMode: 'string',
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { ID: 'string', DateTime: 'string', Date: 'string', JSON: 'unknown', Decimal: 'string' },
      },
      presetConfig: { fragmentMasking: false },
    },
  },
  silent: true,
}

export default config
