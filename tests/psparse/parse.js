'use strict';
// Parses PowerShell scripts with the tree-sitter PowerShell grammar (its
// WebAssembly build, run by web-tree-sitter: nothing native is compiled or
// downloaded) and prints one JSON object per file on stdout, as a JSON array:
//
//   { "file": path,
//     "problems": [{ "kind": "ERROR"|"MISSING", "type", "row", "column", "text" }],
//     "verbatimStrings": [contents of '...' strings, with '' read as '],
//     "expandableStrings": [raw text of "..." strings and here-strings],
//     "variables": [raw text of $variables] }
//
// Usage: node parse.js FILE...   (exit 0 when every file was read and
// parsed, whether or not it has problems; 2 on a usage or read error).
const v8 = require('v8');

// The grammar is a large WebAssembly module: the parse itself runs fine on
// the baseline compiler, while optimising it in the background takes
// minutes of CPU, and Node waits for that before it exits.
v8.setFlagsFromString('--no-wasm-tier-up');
v8.setFlagsFromString('--no-wasm-dynamic-tiering');

const fs = require('fs');
const path = require('path');
const { Parser, Language } = require('web-tree-sitter');

const grammar = path.join(__dirname, 'node_modules', 'tree-sitter-powershell', 'tree-sitter-powershell.wasm');

function walk(node, out) {
  if (node.isError || node.type === 'ERROR') {
    out.problems.push(problem('ERROR', node));
  } else if (node.isMissing) {
    out.problems.push(problem('MISSING', node));
  }
  switch (node.type) {
    case 'verbatim_string_characters': {
      // The token includes its quotes: 'it''s' reads as it's.
      const t = node.text;
      out.verbatimStrings.push(t.slice(1, -1).replace(/''/g, "'"));
      break;
    }
    case 'expandable_string_literal':
    case 'expandable_here_string_literal':
      out.expandableStrings.push(node.text);
      break;
    case 'variable':
    case 'braced_variable':
      out.variables.push(node.text);
      break;
    default:
  }
  for (let i = 0; i < node.childCount; i++) {
    walk(node.child(i), out);
  }
}

function problem(kind, node) {
  return {
    kind,
    type: node.type,
    row: node.startPosition.row + 1,
    column: node.startPosition.column + 1,
    text: node.text.slice(0, 120),
  };
}

async function main(files) {
  if (files.length === 0) {
    process.stderr.write('usage: node parse.js FILE...\n');
    process.exit(2);
  }
  await Parser.init();
  const language = await Language.load(grammar);
  const parser = new Parser();
  parser.setLanguage(language);
  const results = [];
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const tree = parser.parse(text);
    const out = { file, problems: [], verbatimStrings: [], expandableStrings: [], variables: [] };
    walk(tree.rootNode, out);
    tree.delete();
    results.push(out);
  }
  process.stdout.write(JSON.stringify(results) + '\n');
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`psparse: ${err && err.stack ? err.stack : err}\n`);
  process.exit(2);
});
