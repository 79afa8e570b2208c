// n8n loads the node and the credential listed under "n8n" in package.json, not this file.
// It stays so that requiring a checkout of the package resolves; it exports nothing.
module.exports = {};
