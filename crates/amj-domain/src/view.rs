//! Saved views of the asset list: a query with its columns and sort, kept for one person or
//! shared with the site. The rules here are the ones that need no data; the server also checks
//! the query against the schema before saving, so a view never holds AQL that cannot run.

use crate::aql::MAX_QUERY_CHARS;
use crate::error::{ValidationErrors, rules};
use serde::{Deserialize, Serialize};

pub const MAX_VIEW_NAME: usize = 100;
pub const MAX_COLUMNS: usize = 50;
pub const MAX_COLUMN_NAME: usize = 200;

/// Which way a view sorts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SortDir {
    #[serde(rename = "ASC")]
    Asc,
    #[serde(rename = "DESC")]
    Desc,
}

/// The column a view sorts by, as the list's headers name it (`Key`, `label`, an attribute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ViewSort {
    pub key: String,
    pub dir: SortDir,
}

impl ViewSort {
    /// The stored form, `"<key> ASC"`; the key may hold spaces, the direction never does.
    pub fn to_stored(&self) -> String {
        let dir = match self.dir {
            SortDir::Asc => "ASC",
            SortDir::Desc => "DESC",
        };
        format!("{} {dir}", self.key)
    }

    pub fn from_stored(text: &str) -> Option<ViewSort> {
        let (key, dir) = text.rsplit_once(' ')?;
        let dir = match dir {
            "ASC" => SortDir::Asc,
            "DESC" => SortDir::Desc,
            _ => return None,
        };
        (!key.is_empty()).then(|| ViewSort {
            key: key.to_owned(),
            dir,
        })
    }
}

/// What a person sends to save a view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SavedViewDraft {
    /// 1 to 100 characters; unique among the person's views, and among shared views.
    pub name: String,
    /// The list's query as typed (may be empty: every asset).
    #[serde(default)]
    pub aql: String,
    /// The columns shown, in order: 1 to 50 names.
    pub columns: Vec<String>,
    /// The sorted column; `null` keeps the query's own order.
    #[serde(default)]
    pub sort: Option<ViewSort>,
    /// Shown to everyone on the site, not only to its owner.
    #[serde(default)]
    pub shared: bool,
}

impl SavedViewDraft {
    /// Trims the name and the query, as a person means them.
    pub fn normalized(mut self) -> SavedViewDraft {
        self.name = self.name.trim().to_owned();
        self.aql = self.aql.trim().to_owned();
        for column in &mut self.columns {
            *column = column.trim().to_owned();
        }
        if let Some(sort) = &mut self.sort {
            sort.key = sort.key.trim().to_owned();
        }
        self
    }

    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let name = self.name.chars().count();
        if name == 0 {
            errors.push("name", rules::REQUIRED, "a view needs a name");
        } else if name > MAX_VIEW_NAME {
            errors.push(
                "name",
                rules::MAX_LENGTH,
                format!("at most {MAX_VIEW_NAME} characters"),
            );
        }
        if self.aql.len() > MAX_QUERY_CHARS {
            errors.push(
                "aql",
                rules::MAX_LENGTH,
                format!("at most {MAX_QUERY_CHARS} characters"),
            );
        }
        if self.columns.is_empty() {
            errors.push(
                "columns",
                rules::REQUIRED,
                "a view shows at least one column",
            );
        } else if self.columns.len() > MAX_COLUMNS {
            errors.push(
                "columns",
                rules::MAX_LENGTH,
                format!("at most {MAX_COLUMNS} columns"),
            );
        }
        for (i, column) in self.columns.iter().enumerate() {
            let field = format!("columns[{i}]");
            if column.is_empty() {
                errors.push(field, rules::REQUIRED, "a column needs a name");
            } else if column.chars().count() > MAX_COLUMN_NAME {
                errors.push(
                    field,
                    rules::MAX_LENGTH,
                    format!("at most {MAX_COLUMN_NAME} characters"),
                );
            } else if self.columns[..i].contains(column) {
                errors.push(field, rules::DUPLICATE_VALUE, "shown twice");
            }
        }
        if let Some(sort) = &self.sort
            && (sort.key.is_empty() || sort.key.chars().count() > MAX_COLUMN_NAME)
        {
            errors.push(
                "sort.key",
                rules::REQUIRED,
                format!("a sort names a column of 1 to {MAX_COLUMN_NAME} characters"),
            );
        }
        errors.into_result(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> SavedViewDraft {
        SavedViewDraft {
            name: "  My laptops ".into(),
            aql: " objectType = Laptop ".into(),
            columns: vec!["Key".into(), " Owner".into()],
            sort: Some(ViewSort {
                key: "Serial number".into(),
                dir: SortDir::Desc,
            }),
            shared: false,
        }
    }

    #[test]
    fn a_view_is_trimmed_and_checked() {
        let view = draft().normalized();
        assert_eq!(view.name, "My laptops");
        assert_eq!(view.aql, "objectType = Laptop");
        assert_eq!(view.columns, ["Key", "Owner"]);
        assert!(view.validate().is_ok());

        let bad = SavedViewDraft {
            name: " ".into(),
            columns: vec!["Key".into(), "Key".into(), String::new()],
            sort: Some(ViewSort {
                key: String::new(),
                dir: SortDir::Asc,
            }),
            ..draft()
        }
        .normalized();
        let fields: Vec<String> = bad
            .validate()
            .unwrap_err()
            .iter()
            .map(|e| e.field.clone())
            .collect();
        assert_eq!(fields, ["name", "columns[1]", "columns[2]", "sort.key"]);
        let empty = SavedViewDraft {
            columns: Vec::new(),
            ..draft()
        };
        assert_eq!(empty.validate().unwrap_err().len(), 1);
    }

    #[test]
    fn sorts_are_stored_with_the_direction_last() {
        let sort = ViewSort {
            key: "Serial number".into(),
            dir: SortDir::Desc,
        };
        assert_eq!(sort.to_stored(), "Serial number DESC");
        assert_eq!(ViewSort::from_stored("Serial number DESC"), Some(sort));
        assert_eq!(ViewSort::from_stored("Key sideways"), None);
        assert_eq!(ViewSort::from_stored(" ASC"), None);
        assert_eq!(ViewSort::from_stored("Key"), None);
    }
}
