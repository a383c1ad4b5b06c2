//! The crate's layers (see `src/lib.rs`): a module imports only from the
//! layers below its own, and no two files import each other, directly or
//! round a cycle. Read from `src/` as text: every `crate::…` and
//! `super::…` path outside `#[cfg(test)]` code counts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules, lowest layer first; modules on one line share a
/// layer and may not import each other.
const LAYERS: &[&[&str]] = &[
    &["error", "files", "style"],
    &["registry"],
    &["vcs"],
    &["select"],
    &["outputs"],
    &["run"],
    &["history"],
    &["report"],
    &["context"],
    &["cli"],
    &["commands"],
];

fn layer(top: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top))
}

/// A source file's module path: `src/run/suite/steps.rs` → `run::suite::steps`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    match last.as_str() {
        "mod.rs" | "lib.rs" | "main.rs" => {}
        name => parts.push(name.trim_end_matches(".rs").to_string()),
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text of a file without its `#[cfg(test)]` module (at the end, by
/// the crate's convention) and without comments.
fn production_code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(at) => &l[..at],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path a file names, as absolute module paths (`use` groups
/// expanded one level: `use crate::a::{b, c::d}` names `a::b` and `a::c::d`).
fn named_paths(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if !code.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let start_ok = i == 0 || !(ident(bytes[i - 1]) || bytes[i - 1] == b':');
        let rest = &code[i..];
        let head = ["crate::", "super::"]
            .into_iter()
            .find(|h| start_ok && rest.starts_with(h));
        let Some(head) = head else {
            i += 1;
            continue;
        };
        // Where the path is resolved from.
        let mut base: Vec<String> = if head == "crate::" {
            Vec::new()
        } else {
            // `super` is the parent module, for `x.rs` and `x/mod.rs` alike.
            let mut b = module.to_vec();
            b.pop();
            b
        };
        let mut j = i + head.len();
        // Further `super::` segments.
        while code[j..].starts_with("super::") {
            base.pop();
            j += "super::".len();
        }
        let mut segments = base.clone();
        loop {
            let seg_end = code[j..]
                .bytes()
                .position(|c| !ident(c))
                .map_or(code.len(), |p| j + p);
            if seg_end > j {
                segments.push(code[j..seg_end].to_string());
            }
            j = seg_end;
            if code[j..].starts_with("::{") {
                let close = code[j..].find('}').map_or(code.len(), |p| j + p);
                for item in code[j + 3..close].split(',') {
                    let item = item.trim().split(" as ").next().unwrap_or("").trim();
                    if item.is_empty() || item == "self" || item == "*" {
                        out.push(segments.clone());
                        continue;
                    }
                    let mut p = segments.clone();
                    p.extend(item.split("::").map(|s| s.trim().to_string()));
                    out.push(p);
                }
                j = close;
                break;
            }
            if code[j..].starts_with("::") && code[j + 2..].bytes().next().is_some_and(ident) {
                j += 2;
                continue;
            }
            out.push(segments.clone());
            break;
        }
        i = j.max(i + 1);
    }
    out
}

/// The file a module path names: its longest prefix that is a module.
fn resolve(modules: &BTreeSet<Vec<String>>, path: &[String]) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
}

struct Crate {
    /// File module → the file modules it imports.
    edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
}

fn read_crate(src: &Path) -> Crate {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(src, f)).collect();
    let mut edges = BTreeMap::new();
    for file in &files {
        if file.ends_with("main.rs") {
            continue; // the binary: it may call anything
        }
        let module = module_of(src, file);
        let text = std::fs::read_to_string(file).expect("read source");
        let targets: BTreeSet<Vec<String>> = named_paths(&module, &production_code(&text))
            .iter()
            .filter_map(|p| resolve(&modules, p))
            .filter(|t| *t != module && !t.is_empty())
            .collect();
        edges.insert(module, targets);
    }
    Crate { edges }
}

/// Imports from a module to one in its own layer or above it.
fn upward(krate: &Crate) -> Vec<String> {
    let mut out = Vec::new();
    for (from, targets) in &krate.edges {
        let Some(top) = from.first() else { continue };
        let Some(own) = layer(top) else { continue };
        for to in targets {
            let other = &to[0];
            if other == top {
                continue;
            }
            match layer(other) {
                Some(l) if l < own => {}
                _ => out.push(format!("{} -> {}", from.join("::"), to.join("::"))),
            }
        }
    }
    out
}

/// Groups of files that import each other, round a cycle.
fn file_cycles(krate: &Crate) -> Vec<Vec<String>> {
    // Tarjan's strongly connected components.
    struct State<'a> {
        edges: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on_stack: BTreeSet<&'a Vec<String>>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a Vec<String>) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        if let Some(targets) = s.edges.get(v) {
            for w in targets {
                let Some((w, _)) = s.edges.get_key_value(w) else {
                    continue;
                };
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let lw = s.low[w];
                    let lv = s.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if s.on_stack.contains(w) {
                    let iw = s.index[w];
                    let lv = s.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                group.push(w.join("::"));
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                s.out.push(group);
            }
        }
    }
    let mut s = State {
        edges: &krate.edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in krate.edges.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

fn src() -> PathBuf {
    crate::harness::repo().join("src")
}

#[test]
fn modules_import_only_from_the_layers_below() {
    let krate = read_crate(&src());
    let upward = upward(&krate);
    assert!(
        upward.is_empty(),
        "{} imports against the layer order of src/lib.rs:\n{}",
        upward.len(),
        upward.join("\n")
    );
}

#[test]
fn no_two_files_import_each_other() {
    let cycles = file_cycles(&read_crate(&src()));
    assert!(
        cycles.is_empty(),
        "files importing each other:\n{}",
        cycles
            .iter()
            .map(|c| c.join(" <-> "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_checker_catches_an_upward_import_and_a_cycle() {
    // A copy of the real tree with one import added against the order.
    let dir = crate::harness::tempdir();
    let copy = dir.path().join("src");
    copy_tree(&src(), &copy);
    let registry = copy.join("registry/mod.rs");
    let text = std::fs::read_to_string(&registry).expect("read");
    std::fs::write(
        &registry,
        format!("{text}\nfn _upward() {{ let _ = crate::run::plan::Plan::new; }}\n"),
    )
    .expect("write");
    let before: BTreeSet<String> = upward(&read_crate(&src())).into_iter().collect();
    let after: BTreeSet<String> = upward(&read_crate(&copy)).into_iter().collect();
    let added: Vec<&String> = after.difference(&before).collect();
    assert_eq!(added, ["registry -> run::plan"]);
    // And a file that imports one that imports it back.
    let plan = copy.join("run/plan.rs");
    let text = std::fs::read_to_string(&plan).expect("read");
    // Before any `#[cfg(test)]` code, which does not count.
    std::fs::write(
        &plan,
        format!("use super::engine::order as _order;\n{text}"),
    )
    .expect("write");
    let cycles = file_cycles(&read_crate(&copy));
    assert!(
        cycles
            .iter()
            .any(|c| c.contains(&"run::plan".to_string())
                && c.contains(&"run::engine".to_string())),
        "{cycles:?}"
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read").flatten() {
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).expect("copy");
        }
    }
}
