/**
 * Hot-path child for ES modules, started by hot-path-modules.ts: loads the built package
 * and axios as an ESM app does, with `import`, so the plugin is dist/index.mjs and axios
 * is its ESM build. The measurement itself is shared with the CommonJS child (a plain
 * .cjs file that loads nothing, so importing it changes nothing about what is measured).
 */
import { fileURLToPath } from 'node:url';
import axios from 'axios';
import { oauth2 } from '../dist/index.mjs';
import { startChild } from './hot-path-measure.cjs';

startChild({
  axios,
  oauth2,
  moduleSystem: 'import',
  loaded: { plugin: fileURLToPath(import.meta.resolve('../dist/index.mjs')), axios: fileURLToPath(import.meta.resolve('axios')) },
});
