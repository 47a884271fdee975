// Starts `admission lsp` for the YAML files of the workspace; the server itself decides which
// files are policy files (those under the workspace folder it loads), so this stays a launcher.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("admission.server");
  const serverOptions = {
    command: config.get("command", "admission"),
    args: config.get("args", ["lsp"]),
    transport: TransportKind.stdio,
  };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "yaml" }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{yaml,yml}") },
  };
  client = new LanguageClient("admission", "admission policy", serverOptions, clientOptions);
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
