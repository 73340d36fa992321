// Starts dynalite on 127.0.0.1 and prints the port it listens on (one line) once it does.
//   node dynalite_serve.js PORT [DB_DIR]
// PORT 0 picks a free port; DB_DIR keeps the tables on disk (LevelDB) so a restarted instance
// serves the same data, as a DynamoDB endpoint coming back after an outage would.
'use strict';
const path = require('path');
const dynalite = require(path.join(__dirname, 'node_modules', 'dynalite'));
const port = Number(process.argv[2] || 0);
const opts = { createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 };
if (process.argv[3]) opts.path = process.argv[3];
const server = dynalite(opts);
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(server.address().port + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
