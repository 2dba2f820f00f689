// Parses every KQL query of a dump-hunts file with Microsoft's Kusto language service
// (@kusto/language-service-next), against a database holding exactly the tables and
// columns huntbrief may use for that backend. Any diagnostic (syntax error, unknown
// table, unknown column, type mismatch) fails the check.
'use strict';
require('@kusto/language-service-next/bridge.js');
require('@kusto/language-service-next');
const fs = require('fs');

const K = globalThis.Kusto.Language;
const dump = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

function globalsFor(backend) {
  const tables = dump.tables[backend] || {};
  const symbols = Object.entries(tables).map(([name, cols]) => {
    const schema = '(' + cols.map(([c, t]) => `['${c}']:${t}`).join(', ') + ')';
    return new K.Symbols.TableSymbol.$ctor7(name, schema, null);
  });
  const db = new K.Symbols.DatabaseSymbol.$ctor2('huntbrief', null, symbols);
  return K.GlobalState.Default.WithDatabase(db);
}

const globals = { defender: globalsFor('defender'), sentinel: globalsFor('sentinel') };
let checked = 0;
let failed = 0;
for (const q of dump.queries) {
  if (!(q.backend in globals)) continue;
  checked++;
  const code = K.KustoCode.ParseAndAnalyze(q.text, globals[q.backend]);
  const diags = code.GetDiagnostics();
  const problems = [];
  for (let i = 0; i < diags.Count; i++) {
    const d = diags.getItem(i);
    problems.push(`${d.Severity} at ${d.Start}: ${d.Message}`);
  }
  if (problems.length > 0) {
    failed++;
    console.log(`FAIL ${q.source} (${q.backend})`);
    for (const p of problems) console.log('  ' + p);
    console.log(q.text.split('\n').map((l) => '    | ' + l).join('\n'));
  }
}
console.log(`check-kql: ${checked - failed} passed, ${failed} failed`);
process.exit(failed === 0 && checked > 0 ? 0 : 1);
