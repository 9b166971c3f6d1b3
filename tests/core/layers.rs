//! The layers of `src/` (ARCHITECTURE.md's table, as code): a module may
//! import its own layer's modules and those below it, never one above, so
//! the core never knows the workbench, the CLI or the UI, and `runs` knows
//! no capability. Test modules (`#[cfg(test)]` and `tests.rs`) may reach up.

use std::collections::BTreeMap;
use std::path::Path;

/// Bottom to top. A module imports its own and lower layers only.
const LAYERS: &[(&str, &[&str])] = &[
    ("foundation", &["display", "icon", "params", "task", "demo"]),
    ("data", &["data", "export"]),
    ("runs", &["runs", "jobs"]),
    ("engines", &["spark", "neural"]),
    (
        "capabilities",
        &["recsys", "session", "text", "segment", "bandit", "predict"],
    ),
    ("registry", &["registry", "workspace"]),
    ("workbench", &["workbench"]),
    ("front ends", &["cli", "ui"]),
];

/// Imports within a layer that are allowed (most are not: capabilities do
/// not use each other, and the two front ends never meet).
const SIDEWAYS: &[(&str, &str)] = &[
    // Content similarity of items is TF-IDF over their text.
    ("recsys", "text"),
    // The logistic reward model is the sentiment classifier's L-BFGS
    // logistic regression on sparse rows.
    ("bandit", "text"),
    ("task", "params"),
    ("workspace", "registry"),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

/// The code of `path` before its test module, if it has one.
fn without_tests(text: &str) -> &str {
    match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    }
}

/// `crate::name` mentioned in code (comments left out).
fn imports(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            rest = &after[name.len().min(after.len())..];
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_module_imports_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut wrong: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut unplaced = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap_or(&file);
        let top = rel
            .components()
            .next()
            .map(|c| {
                c.as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_owned()
            })
            .unwrap_or_default();
        if ["lib", "main"].contains(&top.as_str()) || rel.ends_with("tests.rs") {
            continue;
        }
        let Some(own) = layer_of(&top) else {
            unplaced.push(top);
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("read a source file");
        for name in imports(without_tests(&text)) {
            if name == top || name == "params_field" {
                continue;
            }
            let Some(theirs) = layer_of(&name) else {
                continue;
            };
            let sideways = theirs == own && !SIDEWAYS.contains(&(top.as_str(), name.as_str()));
            if theirs > own || sideways {
                wrong
                    .entry(rel.display().to_string())
                    .or_default()
                    .push(name);
            }
        }
    }
    unplaced.sort();
    unplaced.dedup();
    assert!(
        unplaced.is_empty(),
        "modules missing from the layer table (add them here and to ARCHITECTURE.md): {unplaced:?}"
    );
    for names in wrong.values_mut() {
        names.sort();
        names.dedup();
    }
    assert!(
        wrong.is_empty(),
        "imports of a layer above (or beside) the importer: {wrong:#?}"
    );
}

#[test]
fn architecture_md_names_every_layer() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
            .expect("ARCHITECTURE.md");
    for (layer, modules) in LAYERS {
        let line = format!("| {layer} | {} |", modules.join(", "));
        assert!(
            doc.contains(&line),
            "ARCHITECTURE.md's layer table lacks the row `{line}`"
        );
    }
}
