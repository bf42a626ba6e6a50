// Refuses to pack a package whose generated files are missing.
import { existsSync } from 'node:fs';

// dist/snippets holds the JS the wasm imports (the fetch transport).
const missing = ['dist/cxone_data_actions.js', 'dist/cxone_data_actions_bg.wasm', 'dist/snippets'].filter(
  (file) => !existsSync(new URL(`../${file}`, import.meta.url)),
);
if (missing.length > 0) {
  console.error(`cxone-data-actions: ${missing.join(', ')} missing: run \`npm run build\` first`);
  process.exit(1);
}
