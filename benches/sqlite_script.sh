#!/usr/bin/env bash
# Prints the SQL script the SQLite benchmarks feed the shell (benches/rss/rss.sh,
# benches/cli/cli.sh): a table, ROWS inserts in one transaction, an index and two queries.
# Usage: benches/sqlite_script.sh ROWS
set -euo pipefail
rows=$1
echo "create table t(a integer, b text);"
echo "begin;"
for ((i = 0; i < rows; i++)); do
  echo "insert into t values($i, 'row number $(( (i * 7919) % 100000 ))');"
done
echo "commit;"
echo "create index ti on t(b);"
echo "select count(*) from t where b like 'row number 1%';"
echo "select sum(a) from t where a % 3 = 0;"
