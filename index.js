// The n8n starter layout keeps this file at the root. n8n loads what package.json lists under
// "n8n", and the published entry point ("main") is the built node in dist/.
module.exports = require('./dist/nodes/Pivotal/PivotalTrigger.node.js');
