//! An invocation object's own storage (SQLite, strongly consistent, one database per object): one
//! row holding the record. Statements are synchronous, so a load, a transition in the core and a
//! save with no `await` between them are one serialized step of the object: nothing interleaves,
//! no update is lost or rolled back.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

use super::platform::{DurableObjectStorage, SqlStorage};

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
    /// The store of the object whose storage this is. Nothing is written until a record is
    /// saved: an object only asked about (an unknown id) keeps no storage.
    pub fn open(storage: &DurableObjectStorage) -> RecordStore {
        RecordStore { sql: storage.sql() }
    }

    /// The text column `column` of each row `statement` answers.
    fn texts(&self, statement: &str, column: &str, what: &str) -> Result<Vec<String>, ObjectStorageError> {
        let rows = self.sql.exec(statement, &[]).map_err(|e| ObjectStorageError::Sql(format!("{what}: {e}")))?;
        rows.iter()
            .map(|row| match Reflect::get(&row, &JsValue::from_str(column)).ok().and_then(|value| value.as_string()) {
                Some(text) => Ok(text),
                None => Err(ObjectStorageError::Sql(format!("{what}: a row without text"))),
            })
            .collect()
    }

    fn has_table(&self) -> Result<bool, ObjectStorageError> {
        let tables = self.texts("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'record'", "name", "looking for the table")?;
        Ok(!tables.is_empty())
    }

    /// The record, if the object has one.
    pub fn load(&self) -> Result<Option<InvocationRecord>, ObjectStorageError> {
        if !self.has_table()? {
            return Ok(None);
        }
        let rows = self.texts("SELECT body FROM record WHERE slot = 0", "body", "reading the record")?;
        match rows.first() {
            Some(body) => Ok(Some(InvocationRecord::decode(KEY, body)?)),
            None => Ok(None),
        }
    }

    /// Stores the record (replacing the previous one; the table is created with the first).
    pub fn save(&self, record: &InvocationRecord) -> Result<(), ObjectStorageError> {
        self.sql
            .exec("CREATE TABLE IF NOT EXISTS record (slot INTEGER PRIMARY KEY CHECK (slot = 0), body TEXT NOT NULL)", &[])
            .map_err(|e| ObjectStorageError::Sql(format!("creating the table: {e}")))?;
        self.sql
            .exec("INSERT OR REPLACE INTO record (slot, body) VALUES (0, ?)", &[JsValue::from(record.encode())])
            .map(|_| ())
            .map_err(|e| ObjectStorageError::Sql(format!("writing the record: {e}")))
    }

    /// Deletes the record (a reservation whose invoke the upstream refused, or the end of a
    /// finished record's retention).
    pub fn clear(&self) -> Result<(), ObjectStorageError> {
        self.sql.exec("DROP TABLE IF EXISTS record", &[]).map(|_| ()).map_err(|e| ObjectStorageError::Sql(format!("deleting the record: {e}")))
    }
}
