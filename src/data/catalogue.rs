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
        let names = column(find(&["name", "title", "product_name", "description"]))?;
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
