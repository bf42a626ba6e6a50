//! An invocation object's own storage (SQLite, strongly consistent, one database per object): one
//! row holding the record. Statements are synchronous, so a load, a transition in the core and a
//! save with no `await` between them are one serialized step of the object: nothing interleaves,
//! no update is lost or rolled back.

use serde::Deserialize;
use worker::{SqlStorage, State};

use crate::core::record::{InvocationRecord, RecordDecodeError};

/// A failure of the object's storage (its message names the statement, never a value).
#[derive(Debug, Clone, thiserror::Error)]
pub enum ObjectStorageError {
    /// SQLite refused a statement.
    #[error("object storage: {0}")]
    Sql(String),
    /// The stored record cannot be decoded.
    #[error(transparent)]
    Undecodable(#[from] RecordDecodeError),
}

#[derive(Deserialize)]
struct Row {
    body: String,
}

/// The record's table.
pub struct RecordStore {
    sql: SqlStorage,
}

const KEY: &str = "object:record";

impl RecordStore {
    /// The store of the object whose state this is. Nothing is written until a record is saved:
    /// an object only asked about (an unknown id) keeps no storage.
    pub fn open(state: &State) -> RecordStore {
        RecordStore { sql: state.storage().sql() }
    }

    fn has_table(&self) -> Result<bool, ObjectStorageError> {
        let tables: Vec<Row> = self
            .sql
            .exec("SELECT name AS body FROM sqlite_master WHERE type = 'table' AND name = 'record'", None)
            .and_then(|cursor| cursor.to_array())
            .map_err(|e| ObjectStorageError::Sql(format!("looking for the table: {e}")))?;
        Ok(!tables.is_empty())
    }

    /// The record, if the object has one.
    pub fn load(&self) -> Result<Option<InvocationRecord>, ObjectStorageError> {
        if !self.has_table()? {
            return Ok(None);
        }
        let rows: Vec<Row> = self
            .sql
            .exec("SELECT body FROM record WHERE slot = 0", None)
            .and_then(|cursor| cursor.to_array())
            .map_err(|e| ObjectStorageError::Sql(format!("reading the record: {e}")))?;
        match rows.into_iter().next() {
            Some(row) => Ok(Some(InvocationRecord::decode(KEY, &row.body)?)),
            None => Ok(None),
        }
    }

    /// Stores the record (replacing the previous one; the table is created with the first).
    pub fn save(&self, record: &InvocationRecord) -> Result<(), ObjectStorageError> {
        self.sql
            .exec("CREATE TABLE IF NOT EXISTS record (slot INTEGER PRIMARY KEY CHECK (slot = 0), body TEXT NOT NULL)", None)
            .map_err(|e| ObjectStorageError::Sql(format!("creating the table: {e}")))?;
        self.sql
            .exec("INSERT OR REPLACE INTO record (slot, body) VALUES (0, ?)", vec![record.encode().into()])
            .map(|_| ())
            .map_err(|e| ObjectStorageError::Sql(format!("writing the record: {e}")))
    }

    /// Deletes the record (a reservation whose invoke the upstream refused, or the end of a
    /// finished record's retention).
    pub fn clear(&self) -> Result<(), ObjectStorageError> {
        self.sql.exec("DROP TABLE IF EXISTS record", None).map(|_| ()).map_err(|e| ObjectStorageError::Sql(format!("deleting the record: {e}")))
    }
}
