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
    /// The store of the object whose state this is (its table created on first use).
    pub fn open(state: &State) -> Result<RecordStore, ObjectStorageError> {
        let sql = state.storage().sql();
        sql.exec("CREATE TABLE IF NOT EXISTS record (slot INTEGER PRIMARY KEY CHECK (slot = 0), body TEXT NOT NULL)", None)
            .map_err(|e| ObjectStorageError::Sql(format!("creating the table: {e}")))?;
        Ok(RecordStore { sql })
    }

    /// The record, if the object has one.
    pub fn load(&self) -> Result<Option<InvocationRecord>, ObjectStorageError> {
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

    /// Stores the record (replacing the previous one).
    pub fn save(&self, record: &InvocationRecord) -> Result<(), ObjectStorageError> {
        self.sql
            .exec("INSERT OR REPLACE INTO record (slot, body) VALUES (0, ?)", vec![record.encode().into()])
            .map(|_| ())
            .map_err(|e| ObjectStorageError::Sql(format!("writing the record: {e}")))
    }

    /// Deletes the record (a reservation whose invoke the upstream refused, or the end of a
    /// finished record's retention).
    pub fn clear(&self) -> Result<(), ObjectStorageError> {
        self.sql.exec("DELETE FROM record", None).map(|_| ()).map_err(|e| ObjectStorageError::Sql(format!("deleting the record: {e}")))
    }
}
