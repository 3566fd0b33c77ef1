//! `courant migrate`: a single-machine installation copied into PostgreSQL,
//! table by table in batches, each batch one transaction. Rows already
//! there are left alone (`ON CONFLICT DO NOTHING`), so a run that was
//! interrupted, or a second run, continues without duplicates; the copy is
//! verified by counting every table on both sides.

use postgres::types::ToSql;
use rusqlite::types::Value;

use crate::{Error, PgStore, Result, SqliteStore};

/// What is copied, parents first. Leases, host turns and the instance id
/// belong to the running installation and are not copied.
const TABLES: &[(&str, &str)] = &[
    ("sources", "id"),
    ("articles", "id"),
    ("stories", "id"),
    ("story_links", "story, other"),
    ("article_vectors", "article_id"),
    ("translations", "article_id, lang"),
    ("translation_memory", "provider, from_lang, to_lang, key"),
    ("translation_usage", "provider, day"),
    ("page_checks", "article_id"),
    ("websub", "source_id"),
];

/// Rows per insert: well under PostgreSQL's 65,535 parameters.
const BATCH: usize = 500;

/// One table's copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopiedTable {
    /// The table.
    pub table: String,
    /// Rows in the SQLite file.
    pub source_rows: u64,
    /// Rows new in PostgreSQL after this run.
    pub inserted: u64,
    /// Rows in PostgreSQL after this run.
    pub target_rows: u64,
}

/// What a copy did, table by table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Each table, in copy order.
    pub tables: Vec<CopiedTable>,
}

impl CopyReport {
    /// Whether every row of the file is in PostgreSQL.
    pub fn complete(&self) -> bool {
        self.tables.iter().all(|t| t.target_rows >= t.source_rows)
    }
}

enum Kind {
    Int,
    Real,
    Text,
    Bytes,
}

fn kind_of(pg_type: &str) -> Kind {
    match pg_type {
        "bigint" | "integer" => Kind::Int,
        "real" | "double precision" => Kind::Real,
        "bytea" => Kind::Bytes,
        _ => Kind::Text,
    }
}

fn param(v: Value, kind: &Kind) -> Box<dyn ToSql + Sync + Send> {
    match (kind, v) {
        (Kind::Int, Value::Integer(i)) => Box::new(Some(i)),
        (Kind::Int, Value::Real(f)) => Box::new(Some(f as i64)),
        (Kind::Int, _) => Box::new(None::<i64>),
        (Kind::Real, Value::Real(f)) => Box::new(Some(f as f32)),
        (Kind::Real, Value::Integer(i)) => Box::new(Some(i as f32)),
        (Kind::Real, _) => Box::new(None::<f32>),
        (Kind::Bytes, Value::Blob(b)) => Box::new(Some(b)),
        (Kind::Bytes, _) => Box::new(None::<Vec<u8>>),
        (Kind::Text, Value::Text(s)) => Box::new(Some(s)),
        (Kind::Text, Value::Integer(i)) => Box::new(Some(i.to_string())),
        (Kind::Text, Value::Real(f)) => Box::new(Some(f.to_string())),
        (Kind::Text, _) => Box::new(None::<String>),
    }
}

/// Copies everything in `from` into `to`; `progress` hears each table's
/// rows as they go.
pub fn copy_sqlite_to_pg(
    from: &SqliteStore,
    to: &PgStore,
    mut progress: impl FnMut(&str, u64),
) -> Result<CopyReport> {
    let mut report = CopyReport::default();
    for &(table, key) in TABLES {
        let columns: Vec<(String, String)> = to.with(|c| {
            c.query(
                "SELECT column_name::text, data_type::text FROM information_schema.columns
                 WHERE table_name = $1 AND table_schema = current_schema() ORDER BY ordinal_position",
                &[&table],
            )?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<Vec<_>>>()
        })?;
        let before = count_pg(to, table)?;
        let cols = columns
            .iter()
            .map(|(c, _)| c.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let kinds: Vec<Kind> = columns.iter().map(|(_, t)| kind_of(t)).collect();
        let reader = from.read();
        let mut st = reader.prepare(&format!("SELECT {cols} FROM {table} ORDER BY {key}"))?;
        let mut rows = st.query([])?;
        let mut batch: Vec<Vec<Value>> = Vec::with_capacity(BATCH);
        let mut source_rows = 0u64;
        while let Some(r) = rows.next()? {
            batch.push(
                (0..kinds.len())
                    .map(|i| r.get::<_, Value>(i))
                    .collect::<rusqlite::Result<_>>()?,
            );
            source_rows += 1;
            if batch.len() >= BATCH {
                insert(to, table, &cols, &kinds, std::mem::take(&mut batch))?;
                progress(table, source_rows);
            }
        }
        drop(rows);
        drop(st);
        drop(reader);
        if !batch.is_empty() {
            insert(to, table, &cols, &kinds, batch)?;
            progress(table, source_rows);
        }
        let after = count_pg(to, table)?;
        report.tables.push(CopiedTable {
            table: table.to_string(),
            source_rows,
            inserted: after.saturating_sub(before),
            target_rows: after,
        });
    }
    // Ids copied as they were: the identity sequences continue after them.
    to.with(|c| {
        c.batch_execute(
            "SELECT setval(pg_get_serial_sequence('sources', 'id'), GREATEST((SELECT MAX(id) FROM sources), 1));
             SELECT setval(pg_get_serial_sequence('articles', 'id'), GREATEST((SELECT MAX(id) FROM articles), 1));
             ANALYZE;",
        )?;
        Ok(())
    })?;
    Ok(report)
}

fn count_pg(to: &PgStore, table: &str) -> Result<u64> {
    to.with(|c| {
        let n: i64 = c
            .query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])?
            .try_get(0)?;
        Ok(n.max(0) as u64)
    })
}

/// One batch in one statement and one transaction.
fn insert(
    to: &PgStore,
    table: &str,
    cols: &str,
    kinds: &[Kind],
    batch: Vec<Vec<Value>>,
) -> Result<()> {
    let width = kinds.len();
    let mut args: Vec<Box<dyn ToSql + Sync + Send>> = Vec::with_capacity(batch.len() * width);
    let mut rows = Vec::with_capacity(batch.len());
    for row in batch {
        if row.len() != width {
            return Err(Error::Corrupt(format!(
                "{table}: a row of {} columns",
                row.len()
            )));
        }
        let start = args.len();
        rows.push(format!(
            "({})",
            (1..=width)
                .map(|i| format!("${}", start + i))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        args.extend(row.into_iter().zip(kinds).map(|(v, k)| param(v, k)));
    }
    let sql = format!(
        "INSERT INTO {table} ({cols}) VALUES {} ON CONFLICT DO NOTHING",
        rows.join(", ")
    );
    to.with(|c| {
        c.execute(&sql, &crate::pg::refs(&args))?;
        Ok(())
    })
}
