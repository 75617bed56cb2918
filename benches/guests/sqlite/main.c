/* A small driver for SQLite built to wasm32-wasi by benches/setup.sh: it runs a fixed
 * workload on an in-memory database and prints the results, so a runtime that executes
 * the module can be checked against the expected output. */
#include <stdio.h>
#include <string.h>

#include "sqlite3.h"

static int failures;

static int print_row(void *unused, int n, char **values, char **names) {
  (void)unused;
  (void)names;
  for (int i = 0; i < n; i++) printf("%s%s", i ? "|" : "", values[i] ? values[i] : "NULL");
  printf("\n");
  return 0;
}

static void run(sqlite3 *db, const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(db, sql, print_row, NULL, &err) != SQLITE_OK) {
    printf("error: %s\n  in: %s\n", err ? err : "?", sql);
    sqlite3_free(err);
    failures++;
  }
}

int main(void) {
  sqlite3 *db;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
    printf("cannot open database\n");
    return 1;
  }
  printf("sqlite %s\n", sqlite3_libversion());
  run(db,
      "CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT NOT NULL, grp INTEGER, "
      "price REAL);"
      "CREATE INDEX item_grp ON item(grp);"
      "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5000) "
      "INSERT INTO item(name, grp, price) "
      "SELECT printf('item-%05d', x), x % 17, round((x * 7919 % 1000) / 10.0, 1) FROM n;");
  run(db, "SELECT count(*), sum(price), min(name), max(name) FROM item;");
  run(db,
      "SELECT grp, count(*), round(avg(price), 3) FROM item GROUP BY grp "
      "HAVING count(*) > 294 ORDER BY grp LIMIT 5;");
  /* A prepared statement with bindings, reused. */
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, "SELECT name, price FROM item WHERE grp = ?1 AND price > ?2 "
                             "ORDER BY price DESC, id LIMIT 1",
                         -1, &st, NULL) == SQLITE_OK) {
    for (int g = 0; g < 4; g++) {
      sqlite3_bind_int(st, 1, g);
      sqlite3_bind_double(st, 2, 50.0);
      while (sqlite3_step(st) == SQLITE_ROW)
        printf("top of group %d: %s %.1f\n", g, (const char *)sqlite3_column_text(st, 0),
               sqlite3_column_double(st, 1));
      sqlite3_reset(st);
    }
    sqlite3_finalize(st);
  } else {
    failures++;
  }
  /* Joins, window functions, CTEs, JSON, full-text search, transactions. */
  run(db,
      "CREATE TABLE grp(id INTEGER PRIMARY KEY, label TEXT);"
      "WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 16) "
      "INSERT INTO grp SELECT x, 'group ' || x FROM n;");
  run(db,
      "SELECT g.label, count(i.id) FROM grp g LEFT JOIN item i ON i.grp = g.id "
      "WHERE g.id IN (1, 3, 5) GROUP BY g.id ORDER BY g.id;");
  run(db,
      "SELECT name, price, rank() OVER (ORDER BY price DESC, id) FROM item "
      "WHERE grp = 7 ORDER BY 3 LIMIT 3;");
  run(db,
      "SELECT json_object('n', count(*), 'groups', json_group_array(DISTINCT grp)) "
      "FROM item WHERE id <= 40;");
  run(db,
      "CREATE VIRTUAL TABLE doc USING fts5(body);"
      "INSERT INTO doc(body) VALUES ('the spindle turns the thread'), "
      "('a loom weaves cloth'), ('thread and needle'), ('spindle whorl of stone');"
      "SELECT rowid, body FROM doc WHERE doc MATCH 'spindle OR needle' ORDER BY rowid;");
  run(db,
      "BEGIN; UPDATE item SET price = price * 2 WHERE grp = 0; "
      "DELETE FROM item WHERE id % 100 = 0; COMMIT;"
      "SELECT count(*), round(sum(price), 1) FROM item;");
  run(db, "PRAGMA integrity_check;");
  sqlite3_close(db);
  printf("sqlite workload: %s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
