//! `courant migrate`: a single-machine installation (a SQLite file) copied
//! into PostgreSQL, resumable and verified by counts.

use std::path::Path;

use anyhow::Context as _;
use courant_store::{copy_sqlite_to_pg, is_postgres, PgStore, SqliteStore};

pub(crate) async fn run(from: &Path, to: &str) -> anyhow::Result<()> {
    anyhow::ensure!(from.is_file(), "{}: no such SQLite file", from.display());
    anyhow::ensure!(is_postgres(to), "--to takes a postgres:// URL");
    let (from, to) = (from.to_path_buf(), to.to_string());
    let report = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let lite =
            SqliteStore::open(&from).with_context(|| format!("opening {}", from.display()))?;
        let pg = PgStore::open(&to).context("opening the PostgreSQL store")?;
        let mut last = String::new();
        let report = copy_sqlite_to_pg(&lite, &pg, |table, rows| {
            if table != last {
                eprintln!();
                last = table.to_string();
            }
            eprint!("\r{table}: {rows} rows");
        })?;
        eprintln!();
        Ok(report)
    })
    .await??;
    println!(
        "{:<20} {:>12} {:>12} {:>12}",
        "table", "in file", "new", "in server"
    );
    for t in &report.tables {
        println!(
            "{:<20} {:>12} {:>12} {:>12}",
            t.table, t.source_rows, t.inserted, t.target_rows
        );
    }
    anyhow::ensure!(
        report.complete(),
        "the server holds fewer rows than the file: run the same command again"
    );
    println!("complete: every row of the file is in the server");
    Ok(())
}
