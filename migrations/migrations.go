// Package migrations holds Switchboard's database schema as numbered SQL
// files, embedded in the binary. Each file NNNN_name.sql is one migration,
// applied once, in order of NNNN, inside one transaction; the store records
// the versions it applied in schema_migrations. A migration is never edited
// after release: a change to the schema is a new file.
package migrations

import "embed"

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS

// Postgres holds the PostgreSQL schema's migration files, numbered on
// their own: postgres/NNNN_name.sql.
//
//go:embed postgres/*.sql
var Postgres embed.FS
