// @hey-api/openapi-ts settings of .ci/clients: the fetch client (what the
// FastAPI full-stack template generates with), from the document at
// $OPENAPI_URL, read through this folder's tsconfig.json (NodeNext: imports
// end in `.js`).
import { fileURLToPath } from 'node:url';

import { defineConfig } from '@hey-api/openapi-ts';

export default defineConfig({
  input: process.env.OPENAPI_URL ?? 'http://127.0.0.1:8000/openapi.json',
  output: {
    path: 'gen',
    tsConfigPath: fileURLToPath(new URL('./tsconfig.json', import.meta.url)),
  },
  plugins: ['@hey-api/client-fetch'],
});
