// Bundles the web page (src/web/page) into dist/web: app.js, app.css and
// index.html, everything the page needs but the kernels' wasm, which the
// server reads from beside the kernels. Nothing is fetched from elsewhere.

import { copyFileSync, mkdirSync } from 'node:fs';

import { build } from 'esbuild';

const out = 'dist/web';
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: 'src/web/page/main.ts' },
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'eof',
  outdir: out,
  logLevel: 'warning',
});
copyFileSync('src/web/page/index.html', `${out}/index.html`);
