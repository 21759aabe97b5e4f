'use strict';
/**
 * Hot-path child for CommonJS, started by hot-path-modules.ts: loads the built package
 * and axios as a CommonJS app does, with `require`, so the plugin is dist/index.js and
 * axios is its CJS build. The measurement itself is shared with the ESM child.
 */
const axios = require('axios');
const { oauth2 } = require('../dist/index.js');
const { startChild } = require('./hot-path-measure.cjs');

startChild({
  axios,
  oauth2,
  moduleSystem: 'require',
  loaded: { plugin: require.resolve('../dist/index.js'), axios: require.resolve('axios') },
});
