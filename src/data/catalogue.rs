//! Item catalogue (names, categories, pictures) shown next to item ids. Loaded
//! from a file with an item column and a name column, e.g. the `items.csv` that
//! `shoplens generate` writes beside `events.csv`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::columns::texts;
use super::{load_dataset, LoadError, LoadOptions, Role};
use crate::task::CancelToken;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct CatalogueItem {
    pub name: Option<String>,
    pub category: Option<String>,
    /// Picture, resolved relative to the catalogue file.
    pub image: Option<PathBuf>,
}

#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    pub path: PathBuf,
    pub items: HashMap<String, CatalogueItem>,
}

impl Catalogue {
    pub fn get(&self, item: &str) -> Option<&CatalogueItem> {
        self.items.get(item)
    }

    pub fn load(path: &Path) -> Result<Catalogue, LoadError> {
        let ds = load_dataset(
            path,
            &LoadOptions::default(),
            &CancelToken::new(),
            &|_, _| {},
        )?;
        let Some(item_col) = ds.roles.get(Role::Item).map(str::to_owned) else {
            return Err(LoadError::MissingRole {
                path: path.to_path_buf(),
                what: "an item id".into(),
                flag: "item-col".into(),
                columns: ds.column_names().join(", "),
            });
        };
        let find = |names: &[&str]| {
            ds.column_names()
                .into_iter()
                .find(|c| names.contains(&c.to_lowercase().as_str()))
        };
        let ids = texts(&ds, &item_col)?;
        let column = |name: Option<String>| -> Result<Option<Vec<Option<String>>>, LoadError> {
            name.map(|n| texts(&ds, &n)).transpose()
        };
        let names = column(
            ds.column_names()
                .into_iter()
                .find(|c| super::roles::is_item_name_column(c)),
        )?;
        let categories = column(ds.roles.get(Role::Category).map(str::to_owned))?;
        let images = column(find(&["image", "image_path", "picture", "img"]))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut items = HashMap::with_capacity(ids.len());
        for (row, id) in ids.iter().enumerate() {
            let Some(id) = id else { continue };
            let pick = |c: &Option<Vec<Option<String>>>| c.as_ref().and_then(|v| v[row].clone());
            items.insert(
                id.clone(),
                CatalogueItem {
                    name: pick(&names),
                    category: pick(&categories),
                    image: pick(&images).map(|p| base.join(p)),
                },
            );
        }
        Ok(Catalogue {
            path: path.to_path_buf(),
            items,
        })
    }

    /// Item names (and categories) from the data file itself: its item
    /// column and a column named like a name or description
    /// ([`super::roles::ITEM_NAME_COLUMNS`]) whose value is the same on
    /// (nearly) every row of an item — a review's title changes from row to
    /// row and is not a name.
    pub fn from_data(ds: &super::Dataset) -> Option<Catalogue> {
        let item_col = ds.roles.get(Role::Item)?;
        let name_col = ds
            .column_names()
            .into_iter()
            .find(|c| super::roles::is_item_name_column(c) && ds.roles.roles_of(c).is_empty())?;
        let ids = texts(ds, item_col).ok()?;
        let names = texts(ds, &name_col).ok()?;
        let categories = ds.roles.get(Role::Category).and_then(|c| texts(ds, c).ok());
        let mut items: HashMap<String, CatalogueItem> = HashMap::new();
        // Rows whose name differs from the item's first one.
        let (mut rows, mut differing) = (0usize, 0usize);
        for (row, id) in ids.iter().enumerate() {
            let (Some(id), Some(name)) = (id, names[row].as_deref().map(str::trim)) else {
                continue;
            };
            if name.is_empty() {
                continue;
            }
            rows += 1;
            match items.get(id) {
                Some(seen) => differing += usize::from(seen.name.as_deref() != Some(name)),
                None => {
                    items.insert(
                        id.clone(),
                        CatalogueItem {
                            name: Some(name.to_owned()),
                            category: categories.as_ref().and_then(|c| c[row].clone()),
                            image: None,
                        },
                    );
                }
            }
        }
        // A name changes for at most a few rows of an item (a renamed
        // product); more, and the column describes rows, not items.
        if items.is_empty() || differing * 10 > rows {
            return None;
        }
        Some(Catalogue {
            path: ds.path.clone(),
            items,
        })
    }

    /// The catalogue of a loaded file: `items.csv` beside it first, names
    /// from the file's own columns where that lacks them.
    pub fn for_data(ds: &super::Dataset) -> Option<Catalogue> {
        match (Catalogue::beside(&ds.path), Catalogue::from_data(ds)) {
            (Some(mut beside), Some(own)) => {
                for (id, item) in own.items {
                    let entry = beside.items.entry(id).or_insert_with(|| CatalogueItem {
                        name: None,
                        category: None,
                        image: None,
                    });
                    if entry.name.is_none() {
                        entry.name = item.name;
                    }
                    if entry.category.is_none() {
                        entry.category = item.category;
                    }
                }
                Some(beside)
            }
            (beside, own) => beside.or(own),
        }
    }

    /// `items.csv` beside an events file, when there is one.
    pub fn beside(events: &Path) -> Option<Catalogue> {
        let candidate = events.parent()?.join("items.csv");
        if candidate == events || !candidate.exists() {
            return None;
        }
        match Catalogue::load(&candidate) {
            Ok(c) => Some(c),
            Err(e) => {
                log::warn!("catalogue not loaded: {e}");
                None
            }
        }
    }
}
