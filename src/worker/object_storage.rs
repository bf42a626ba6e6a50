//! An invocation object's own storage (SQLite, strongly consistent, one database per object): one
//! row holding the record. Statements are synchronous, so a load, a transition in the core and a
//! save with no `await` between them are one serialized step of the object: nothing interleaves,
//! no update is lost or rolled back.

use wasm_bindgen::JsValue;
use worker::{SqlStorage, SqlStorageValue, State};

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

    /// The first column of each row `statement` answers, as text. Rows are read as arrays of
    /// values (`raw`), not deserialized into structs: that would bring serde-wasm-bindgen into
    /// the wasm for one text column.
    fn texts(&self, statement: &str, what: &str) -> Result<Vec<String>, ObjectStorageError> {
        let failed = |e: worker::Error| ObjectStorageError::Sql(format!("{what}: {e}"));
        let cursor = self.sql.exec_raw(statement, None::<Vec<JsValue>>).map_err(failed)?;
        cursor
            .raw()
            .map(|row| match row.map_err(failed)?.into_iter().next() {
                Some(SqlStorageValue::String(text)) => Ok(text),
                _ => Err(ObjectStorageError::Sql(format!("{what}: a row without text"))),
            })
            .collect()
    }

    fn has_table(&self) -> Result<bool, ObjectStorageError> {
        let tables = self.texts("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'record'", "looking for the table")?;
        Ok(!tables.is_empty())
    }

    /// The record, if the object has one.
    pub fn load(&self) -> Result<Option<InvocationRecord>, ObjectStorageError> {
        if !self.has_table()? {
            return Ok(None);
        }
        let rows = self.texts("SELECT body FROM record WHERE slot = 0", "reading the record")?;
        match rows.first() {
            Some(body) => Ok(Some(InvocationRecord::decode(KEY, body)?)),
            None => Ok(None),
        }
    }

    /// Stores the record (replacing the previous one; the table is created with the first).
    pub fn save(&self, record: &InvocationRecord) -> Result<(), ObjectStorageError> {
        self.sql
            .exec_raw("CREATE TABLE IF NOT EXISTS record (slot INTEGER PRIMARY KEY CHECK (slot = 0), body TEXT NOT NULL)", None::<Vec<JsValue>>)
            .map_err(|e| ObjectStorageError::Sql(format!("creating the table: {e}")))?;
        self.sql
            .exec_raw("INSERT OR REPLACE INTO record (slot, body) VALUES (0, ?)", vec![JsValue::from(record.encode())])
            .map(|_| ())
            .map_err(|e| ObjectStorageError::Sql(format!("writing the record: {e}")))
    }

    /// Deletes the record (a reservation whose invoke the upstream refused, or the end of a
    /// finished record's retention).
    pub fn clear(&self) -> Result<(), ObjectStorageError> {
        self.sql.exec_raw("DROP TABLE IF EXISTS record", None::<Vec<JsValue>>).map(|_| ()).map_err(|e| ObjectStorageError::Sql(format!("deleting the record: {e}")))
    }
}
