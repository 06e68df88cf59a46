//! The one way store code runs SQL on either backend, without macros: a statement is a [`Sql`]
//! (text with `$N` placeholders and its bound values), and [`Db`] or a write transaction ([`Tx`])
//! runs it on whichever database this store uses. Row types are plain tuples or `FromRow`
//! structs that both backends decode ([`Row`]). Every module of the store runs its SQL here, so
//! each statement is compiled once rather than once per backend, and rustfmt formats all of it
//! (see docs/ARCHITECTURE.md, "Storage").

use crate::sql::{Param, Sql, sqlite_text};
use crate::{Db, StoreError};
use sqlx::Arguments as _;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{FromRow, Postgres, Sqlite, Transaction};

/// A row both backends can decode: what every `fetch_*` returns.
pub(crate) trait Row:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// A write transaction. SQLite's starts `IMMEDIATE`, taking the write lock up front so that two
/// writers serialise instead of failing at their first write; PostgreSQL's is a plain `BEGIN`
/// (row locks, where needed, are taken by the statements).
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Tx::Sqlite(_) => "Tx::Sqlite",
            Tx::Postgres(_) => "Tx::Postgres",
        })
    }
}

fn sqlite_args(params: &[Param]) -> Result<SqliteArguments, StoreError> {
    let mut args = SqliteArguments::default();
    for param in params {
        match param {
            Param::I64(v) => args.add(*v),
            Param::OptI64(v) => args.add(*v),
            Param::Text(v) => args.add(v.clone()),
            Param::OptText(v) => args.add(v.clone()),
            Param::OptF64(v) => args.add(*v),
            Param::Bool(v) => args.add(*v),
        }
        .map_err(|e| StoreError::Corrupt(format!("cannot bind a parameter: {e}")))?;
    }
    Ok(args)
}

fn pg_args(params: &[Param]) -> Result<PgArguments, StoreError> {
    let mut args = PgArguments::default();
    for param in params {
        match param {
            Param::I64(v) => args.add(*v),
            Param::OptI64(v) => args.add(*v),
            Param::Text(v) => args.add(v.clone()),
            Param::OptText(v) => args.add(v.clone()),
            Param::OptF64(v) => args.add(*v),
            Param::Bool(v) => args.add(*v),
        }
        .map_err(|e| StoreError::Corrupt(format!("cannot bind a parameter: {e}")))?;
    }
    Ok(args)
}

impl Db {
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }

    pub(crate) async fn fetch_all<T: Row>(&self, sql: &Sql) -> Result<Vec<T>, StoreError> {
        Ok(match self {
            Db::Sqlite(pool) => {
                let text = sqlite_text(sql);
                sqlx::query_as_with(sqlx::AssertSqlSafe(&*text), sqlite_args(&sql.params)?)
                    .persistent(!sql.one_off)
                    .fetch_all(pool)
                    .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_as_with(sql.safe(), pg_args(&sql.params)?)
                    .persistent(!sql.one_off)
                    .fetch_all(pool)
                    .await?
            }
        })
    }

    pub(crate) async fn fetch_optional<T: Row>(&self, sql: &Sql) -> Result<Option<T>, StoreError> {
        Ok(match self {
            Db::Sqlite(pool) => {
                let text = sqlite_text(sql);
                sqlx::query_as_with(sqlx::AssertSqlSafe(&*text), sqlite_args(&sql.params)?)
                    .persistent(!sql.one_off)
                    .fetch_optional(pool)
                    .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_as_with(sql.safe(), pg_args(&sql.params)?)
                    .persistent(!sql.one_off)
                    .fetch_optional(pool)
                    .await?
            }
        })
    }

    /// The one row a statement must return (an `INSERT … RETURNING`, say).
    pub(crate) async fn fetch_one<T: Row>(&self, sql: &Sql) -> Result<T, StoreError> {
        Ok(match self {
            Db::Sqlite(pool) => {
                let text = sqlite_text(sql);
                sqlx::query_as_with(sqlx::AssertSqlSafe(&*text), sqlite_args(&sql.params)?)
                    .persistent(!sql.one_off)
                    .fetch_one(pool)
                    .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_as_with(sql.safe(), pg_args(&sql.params)?)
                    .persistent(!sql.one_off)
                    .fetch_one(pool)
                    .await?
            }
        })
    }

    /// Runs a statement that returns no rows; the count of rows it changed.
    pub(crate) async fn execute(&self, sql: &Sql) -> Result<u64, StoreError> {
        Ok(match self {
            Db::Sqlite(pool) => {
                let text = sqlite_text(sql);
                sqlx::query_with(sqlx::AssertSqlSafe(&*text), sqlite_args(&sql.params)?)
                    .persistent(!sql.one_off)
                    .execute(pool)
                    .await?
                    .rows_affected()
            }
            Db::Postgres(pool) => sqlx::query_with(sql.safe(), pg_args(&sql.params)?)
                .persistent(!sql.one_off)
                .execute(pool)
                .await?
                .rows_affected(),
        })
    }

    /// Opens a write transaction; see [`Tx`].
    pub(crate) async fn begin_write(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }
}

impl Tx {
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self, Tx::Postgres(_))
    }

    /// What locks the rows a `SELECT` reads until commit: ` FOR UPDATE` on PostgreSQL. SQLite
    /// has no row locks; its IMMEDIATE transaction already holds the database's write lock.
    pub(crate) fn for_update(&self) -> &'static str {
        match self {
            Tx::Sqlite(_) => "",
            Tx::Postgres(_) => " FOR UPDATE",
        }
    }

    pub(crate) async fn fetch_optional<T: Row>(
        &mut self,
        sql: &Sql,
    ) -> Result<Option<T>, StoreError> {
        Ok(match self {
            Tx::Sqlite(tx) => {
                let text = sqlite_text(sql);
                sqlx::query_as_with(sqlx::AssertSqlSafe(&*text), sqlite_args(&sql.params)?)
                    .persistent(!sql.one_off)
                    .fetch_optional(&mut **tx)
                    .await?
            }
            Tx::Postgres(tx) => {
                sqlx::query_as_with(sql.safe(), pg_args(&sql.params)?)
                    .persistent(!sql.one_off)
                    .fetch_optional(&mut **tx)
                    .await?
            }
        })
    }

    pub(crate) async fn fetch_all<T: Row>(&mut self, sql: &Sql) -> Result<Vec<T>, StoreError> {
        Ok(match self {
            Tx::Sqlite(tx) => {
                let text = sqlite_text(sql);
                sqlx::query_as_with(sqlx::AssertSqlSafe(&*text), sqlite_args(&sql.params)?)
                    .persistent(!sql.one_off)
                    .fetch_all(&mut **tx)
                    .await?
            }
            Tx::Postgres(tx) => {
                sqlx::query_as_with(sql.safe(), pg_args(&sql.params)?)
                    .persistent(!sql.one_off)
                    .fetch_all(&mut **tx)
                    .await?
            }
        })
    }

    /// The one row a statement must return (an `INSERT … RETURNING`, say).
    pub(crate) async fn fetch_one<T: Row>(&mut self, sql: &Sql) -> Result<T, StoreError> {
        Ok(match self {
            Tx::Sqlite(tx) => {
                let text = sqlite_text(sql);
                sqlx::query_as_with(sqlx::AssertSqlSafe(&*text), sqlite_args(&sql.params)?)
                    .persistent(!sql.one_off)
                    .fetch_one(&mut **tx)
                    .await?
            }
            Tx::Postgres(tx) => {
                sqlx::query_as_with(sql.safe(), pg_args(&sql.params)?)
                    .persistent(!sql.one_off)
                    .fetch_one(&mut **tx)
                    .await?
            }
        })
    }

    /// Runs a statement that returns no rows; the count of rows it changed.
    pub(crate) async fn execute(&mut self, sql: &Sql) -> Result<u64, StoreError> {
        Ok(match self {
            Tx::Sqlite(tx) => {
                let text = sqlite_text(sql);
                sqlx::query_with(sqlx::AssertSqlSafe(&*text), sqlite_args(&sql.params)?)
                    .persistent(!sql.one_off)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected()
            }
            Tx::Postgres(tx) => sqlx::query_with(sql.safe(), pg_args(&sql.params)?)
                .persistent(!sql.one_off)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
        })
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}
