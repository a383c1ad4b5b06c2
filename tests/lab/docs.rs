//! docs/ says what lab does, and these tests keep it saying so:
//!
//! - the field tables of docs/outputs.md are rendered from the committed
//!   schemas/ (between `<!-- generated: NAME -->` and `<!-- end -->`);
//!   `LAB_BLESS_DOCS=1 cargo test --locked docs` rewrites them;
//! - the key tables of docs/registry.md (between `<!-- keys: DEF -->` and
//!   `<!-- end -->`) list exactly the keys schemas/registry.schema.json
//!   allows;
//! - docs/commands.md names every subcommand and flag of `lab --help`;
//! - every relative link in docs/*.md and README.md points at an existing
//!   file, and every `#fragment` at a heading of its target.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{lab_command, repo, run};

/// How to refresh what these tests check, said in every failure.
const BLESS: &str = "run `LAB_BLESS_DOCS=1 cargo test --locked docs` to rewrite the generated blocks of docs/outputs.md";

/// The documents whose fields docs/outputs.md tabulates, in the order of
/// their `<!-- generated: … -->` blocks.
const DOCUMENTS: [&str; 5] = ["suite-list", "suite-show", "check", "manifest", "summary"];

/// The name of the block that holds the types several documents share.
const SHARED: &str = "shared";

fn docs_dir() -> PathBuf {
    repo().join("docs")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn schema(name: &str) -> Value {
    let path = repo().join(format!("schemas/{name}.schema.json"));
    serde_json::from_str(&read(&path))
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

// ---------------------------------------------------------------------------
// Rendering schemas as markdown tables.

/// A description on one line, safe inside a table cell.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn description(value: &Value) -> Option<&str> {
    value.get("description").and_then(Value::as_str)
}

/// `#/$defs/Name` → `Name`.
fn ref_name(value: &Value) -> Option<&str> {
    value
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
}

/// The GitHub anchor of a `### \`Name\`` heading.
fn type_link(name: &str) -> String {
    format!("[`{name}`](#{})", name.to_lowercase())
}

/// A property's type, in words: `string or null`, `array of [X](#x)`, …
fn type_of(value: &Value) -> String {
    if let Some(name) = ref_name(value) {
        return type_link(name);
    }
    if let Some(variants) = value.get("anyOf").and_then(Value::as_array) {
        let mut nullable = false;
        let mut parts = Vec::new();
        for v in variants {
            if v.get("type").and_then(Value::as_str) == Some("null") {
                nullable = true;
            } else {
                parts.push(type_of(v));
            }
        }
        let mut text = parts.join(" or ");
        if nullable {
            text.push_str(" or null");
        }
        return text;
    }
    if let Some(constant) = value.get("const") {
        return format!("`{constant}`");
    }
    let types: Vec<&str> = match value.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let nullable = types.contains(&"null");
    let mut parts: Vec<String> = Vec::new();
    for t in types.iter().filter(|t| **t != "null") {
        parts.push(match *t {
            "array" => match value.get("items") {
                Some(items) => format!("array of {}", type_of(items)),
                None => "array".into(),
            },
            "object" => match value.get("additionalProperties") {
                Some(v @ Value::Object(_)) => format!("map of {}", type_of(v)),
                _ => "object".into(),
            },
            "integer" => match value.get("minimum").and_then(Value::as_u64) {
                Some(min) if min > 0 => format!("integer ≥ {min}"),
                _ => "integer".into(),
            },
            other => other.to_string(),
        });
    }
    if parts.is_empty() {
        parts.push("any".into());
    }
    let mut text = parts.join(" or ");
    if nullable {
        text.push_str(" or null");
    }
    text
}

/// `| Field | Type | Description |` rows of an object schema.
fn field_table(object: &Value, defs: &Value) -> String {
    let mut out = String::from("| Field | Type | Description |\n|---|---|---|\n");
    let Some(properties) = object.get("properties").and_then(Value::as_object) else {
        return out;
    };
    for (name, value) in properties {
        let text = description(value)
            .or_else(|| ref_name(value).and_then(|n| description(&defs[n])))
            .unwrap_or("");
        out.push_str(&format!(
            "| `{name}` | {} | {} |\n",
            type_of(value),
            cell(text)
        ));
    }
    out
}

/// One variant of a `oneOf`: a constant (`"passed"`) or an externally
/// tagged object (`{"http": {…}}` with its fields).
fn variant(value: &Value) -> String {
    if let Some(constant) = value.get("const") {
        return format!("`{constant}`");
    }
    if let Some(values) = value.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(", ");
    }
    let Some(properties) = value.get("properties").and_then(Value::as_object) else {
        return type_of(value);
    };
    properties
        .iter()
        .map(|(tag, inner)| {
            let fields: Vec<String> = inner
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| {
                    p.iter()
                        .map(|(f, v)| format!("`{f}` ({})", type_of(v)))
                        .collect()
                })
                .unwrap_or_default();
            if fields.is_empty() {
                format!("`{{\"{tag}\": …}}`")
            } else {
                format!("`{{\"{tag}\": {{…}}}}` with {}", fields.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A definition under a `### \`Name\`` heading: its description, then its
/// fields or its values.
fn definition(name: &str, def: &Value, defs: &Value) -> String {
    let mut out = format!("### `{name}`\n\n");
    if let Some(text) = description(def) {
        out.push_str(&cell(text));
        out.push_str("\n\n");
    }
    if let Some(variants) = def.get("oneOf").and_then(Value::as_array) {
        out.push_str("| Value | Description |\n|---|---|\n");
        for v in variants {
            out.push_str(&format!(
                "| {} | {} |\n",
                variant(v),
                cell(description(v).unwrap_or(""))
            ));
        }
    } else if let Some(values) = def.get("enum").and_then(Value::as_array) {
        out.push_str("| Value |\n|---|\n");
        for v in values {
            out.push_str(&format!("| `{v}` |\n"));
        }
    } else {
        out.push_str(&field_table(def, defs));
    }
    out
}

/// Every `$defs` name `value` refers to, in the order first referred to.
fn refs_in(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = ref_name(value)
                && !out.iter().any(|n| n == name)
            {
                out.push(name.to_string());
            }
            for (key, v) in map {
                if key != "$defs" {
                    refs_in(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs_in(v, out)),
        _ => {}
    }
}

/// The definitions reachable from a document's root, breadth first.
fn reachable(doc: &Value) -> Vec<String> {
    let defs = &doc["$defs"];
    let mut order = Vec::new();
    let mut root = doc.clone();
    if let Some(map) = root.as_object_mut() {
        map.remove("$defs");
    }
    refs_in(&root, &mut order);
    let mut i = 0;
    while i < order.len() {
        let mut more = Vec::new();
        refs_in(&defs[&order[i]], &mut more);
        for name in more {
            if !order.contains(&name) {
                order.push(name);
            }
        }
        i += 1;
    }
    order
}

/// Definitions that several documents use, each identical everywhere:
/// tabulated once, in the shared block.
fn shared_definitions(docs: &BTreeMap<&str, Value>) -> BTreeMap<String, Value> {
    let mut seen: BTreeMap<String, Vec<(&str, Value)>> = BTreeMap::new();
    for (doc, schema) in docs {
        for name in reachable(schema) {
            let def = schema["$defs"][&name].clone();
            seen.entry(name).or_default().push((doc, def));
        }
    }
    let mut shared = BTreeMap::new();
    for (name, uses) in seen {
        let first = &uses[0].1;
        if let Some((other, _)) = uses.iter().find(|(_, d)| d != first) {
            panic!(
                "`{name}` means different things in schemas/{}.schema.json and schemas/{other}.schema.json; \
                 docs/outputs.md links every type by name, so one name must be one type",
                uses[0].0
            );
        }
        if uses.len() > 1 {
            shared.insert(name, first.clone());
        }
    }
    shared
}

/// The text of every generated block, by name.
fn rendered_blocks() -> BTreeMap<String, String> {
    let docs: BTreeMap<&str, Value> = DOCUMENTS.iter().map(|d| (*d, schema(d))).collect();
    let shared = shared_definitions(&docs);
    let mut blocks = BTreeMap::new();
    for (doc, schema) in &docs {
        let defs = &schema["$defs"];
        let mut text = field_table(schema, defs);
        for name in reachable(schema) {
            if !shared.contains_key(&name) {
                text.push('\n');
                text.push_str(&definition(&name, &defs[&name], defs));
            }
        }
        blocks.insert(doc.to_string(), text);
    }
    let all_defs: serde_json::Map<String, Value> = shared.clone().into_iter().collect();
    let all_defs = Value::Object(all_defs);
    let mut text = String::new();
    for (name, def) in &shared {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&definition(name, def, &all_defs));
    }
    blocks.insert(SHARED.to_string(), text);
    blocks
}

// ---------------------------------------------------------------------------
// Marker blocks in markdown files.

/// A `<!-- KIND: NAME -->` … `<!-- end -->` block: its name, and the byte
/// range of its body (the lines between the markers).
struct Block {
    name: String,
    body: std::ops::Range<usize>,
}

fn blocks(text: &str, kind: &str) -> Vec<Block> {
    let open = format!("<!-- {kind}: ");
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = text[at..].find(&open) {
        let start = at + found;
        let name_start = start + open.len();
        let name_end = name_start
            + text[name_start..]
                .find(" -->")
                .unwrap_or_else(|| panic!("unterminated `{open}` marker"));
        let name = text[name_start..name_end].to_string();
        let body_start = name_end + " -->".len();
        let body_start = body_start + usize::from(text[body_start..].starts_with('\n'));
        let end = body_start
            + text[body_start..]
                .find("<!-- end -->")
                .unwrap_or_else(|| panic!("`{open}{name} -->` has no `<!-- end -->`"));
        out.push(Block {
            name,
            body: body_start..end,
        });
        at = end;
    }
    out
}

#[test]
fn docs_outputs_tables_match_the_schemas() {
    let path = docs_dir().join("outputs.md");
    let text = read(&path);
    let wanted = rendered_blocks();
    let found = blocks(&text, "generated");
    let names: BTreeSet<&str> = found.iter().map(|b| b.name.as_str()).collect();
    let expected: BTreeSet<&str> = wanted.keys().map(String::as_str).collect();
    assert_eq!(
        names, expected,
        "docs/outputs.md must hold exactly one `<!-- generated: NAME -->` … `<!-- end -->` block per name"
    );
    assert_eq!(
        found.len(),
        expected.len(),
        "a generated block appears twice"
    );

    let stale: Vec<&str> = found
        .iter()
        .filter(|b| text[b.body.clone()] != wanted[&b.name])
        .map(|b| b.name.as_str())
        .collect();
    if stale.is_empty() {
        return;
    }
    if std::env::var_os("LAB_BLESS_DOCS").is_some_and(|v| !v.is_empty()) {
        let mut fresh = String::with_capacity(text.len());
        let mut at = 0;
        for b in &found {
            fresh.push_str(&text[at..b.body.start]);
            fresh.push_str(&wanted[&b.name]);
            at = b.body.end;
        }
        fresh.push_str(&text[at..]);
        std::fs::write(&path, fresh).expect("write docs/outputs.md");
        eprintln!("rewrote the generated blocks {stale:?} of docs/outputs.md");
        return;
    }
    panic!(
        "the generated blocks {stale:?} of docs/outputs.md differ from what schemas/ says; {BLESS}"
    );
}

#[test]
fn docs_registry_key_tables_list_every_key() {
    let text = read(&docs_dir().join("registry.md"));
    let registry = schema("registry");
    let defs = registry["$defs"].as_object().expect("$defs");
    let mut documented = BTreeSet::new();
    let mut problems = Vec::new();
    for block in blocks(&text, "keys") {
        let Some(def) = defs.get(&block.name) else {
            problems.push(format!(
                "`<!-- keys: {} -->` names no definition of schemas/registry.schema.json",
                block.name
            ));
            continue;
        };
        let wanted: BTreeSet<String> = def["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        let listed = first_column_keys(&text[block.body.clone()]);
        for missing in wanted.difference(&listed) {
            problems.push(format!("`{missing}` of `{}` is not listed", block.name));
        }
        for extra in listed.difference(&wanted) {
            problems.push(format!(
                "`{extra}` is listed under `{}`, which has no such key",
                block.name
            ));
        }
        documented.insert(block.name);
    }
    // Every definition with keys has its table (the root holds the kinds).
    for (name, def) in defs {
        if def.get("properties").is_some() && !documented.contains(name) {
            problems.push(format!(
                "`{name}` has no `<!-- keys: {name} -->` table in docs/registry.md"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/registry.md and schemas/registry.schema.json disagree:\n  {}",
        problems.join("\n  ")
    );
}

/// The backticked names in the first cell of each table row (the header
/// and separator rows excluded).
fn first_column_keys(table: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for line in table.lines().filter(|l| l.starts_with('|')).skip(2) {
        let first = line.trim_start_matches('|').split('|').next().unwrap_or("");
        let mut parts = first.split('`');
        parts.next();
        while let (Some(key), _) = (parts.next(), parts.next()) {
            keys.insert(key.to_string());
        }
    }
    keys
}

// ---------------------------------------------------------------------------
// Commands and flags.

fn help(path: &[&str]) -> String {
    let out = run(lab_command(&repo()).args(path).arg("--help"));
    assert_eq!(
        out.code,
        0,
        "lab {} --help failed: {}",
        path.join(" "),
        out.stderr
    );
    out.stdout
}

/// The subcommands a help text lists under `Commands:` (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

/// The long flags a help text mentions.
fn flags(help: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in help.match_indices("--") {
        let name: String = help[i + 2..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
            .collect();
        if !name.is_empty() && name != "help" {
            out.insert(format!("--{name}"));
        }
    }
    out
}

/// `true` when `text` holds `word` not followed by more of a flag name.
fn mentions(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        !text[i + word.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

#[test]
fn docs_commands_names_every_subcommand_and_flag() {
    let text = read(&docs_dir().join("commands.md"));
    let mut problems = Vec::new();
    let mut queue: Vec<Vec<String>> = vec![Vec::new()];
    while let Some(path) = queue.pop() {
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        let help = help(&args);
        let subs = subcommands(&help);
        let command = std::iter::once("lab")
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        if !mentions(&text, &command) {
            problems.push(format!("`{command}` is not described"));
        }
        if subs.is_empty() {
            for flag in flags(&help) {
                if !mentions(&text, &flag) {
                    problems.push(format!("`{command}`: `{flag}` is not described"));
                }
            }
        }
        for sub in subs {
            let mut next = path.clone();
            next.push(sub);
            queue.push(next);
        }
    }
    problems.sort();
    assert!(
        problems.is_empty(),
        "docs/commands.md is behind `lab --help`:\n  {}",
        problems.join("\n  ")
    );
}

// ---------------------------------------------------------------------------
// Links.

/// The markdown files users read: docs/*.md and README.md.
fn markdown_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(docs_dir())
        .expect("docs/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    files.push(repo().join("README.md"));
    files
}

/// `text` without fenced code blocks and inline code spans (replaced by
/// blanks), so that code never counts as a link or a heading.
fn prose(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            out.push('\n');
            continue;
        }
        if fenced {
            out.push('\n');
            continue;
        }
        let mut in_code = false;
        for c in line.chars() {
            if c == '`' {
                in_code = !in_code;
                out.push(' ');
            } else {
                out.push(if in_code { ' ' } else { c });
            }
        }
        out.push('\n');
    }
    out
}

/// The GitHub anchor of a heading: lower case, code marks dropped, every
/// character but letters, digits, `-` and `_` dropped, spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a markdown file's headings (outside code blocks).
fn anchors(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let heading = line.trim_start_matches('#');
        if heading.starts_with(' ') {
            out.push(slug(heading.trim()));
        }
    }
    out
}

/// Every `[text](target)` target in `text`, with its line number.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in prose(text).lines().enumerate() {
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(end) = after.find(')') else { break };
            out.push((n + 1, after[..end].trim().to_string()));
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn docs_links_resolve() {
    let mut problems = Vec::new();
    for file in markdown_files() {
        let text = read(&file);
        let shown = file
            .strip_prefix(repo())
            .unwrap_or(&file)
            .display()
            .to_string();
        let own = anchors(&text);
        let mut seen = BTreeSet::new();
        for a in &own {
            if !seen.insert(a) {
                problems.push(format!(
                    "{shown}: two headings have the anchor #{a}; links to it are ambiguous"
                ));
            }
        }
        for (line, target) in links(&text) {
            if target.is_empty()
                || target.contains("://")
                || target.starts_with("mailto:")
                || target.starts_with('<')
            {
                continue;
            }
            let (path, fragment) = match target.split_once('#') {
                Some((p, f)) => (p, Some(f)),
                None => (target.as_str(), None),
            };
            let resolved = if path.is_empty() {
                file.clone()
            } else {
                file.parent().expect("a file has a directory").join(path)
            };
            if !resolved.exists() {
                problems.push(format!(
                    "{shown}:{line}: `{target}` points at {}, which does not exist",
                    resolved.display()
                ));
                continue;
            }
            let Some(fragment) = fragment else { continue };
            if resolved.extension().is_some_and(|e| e == "md")
                && !anchors(&read(&resolved)).iter().any(|a| a == fragment)
            {
                problems.push(format!(
                    "{shown}:{line}: `{target}`: no heading of {} has the anchor #{fragment}",
                    resolved.display()
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "broken links in the documentation:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn docs_slugs_follow_github() {
    assert_eq!(slug("One suite, step by step"), "one-suite-step-by-step");
    assert_eq!(slug("Settings (`[lab]`)"), "settings-lab");
    assert_eq!(
        slug("`lab.log.jsonl`: the event log"),
        "lablogjsonl-the-event-log"
    );
    assert_eq!(slug("`SuiteResult`"), "suiteresult");
    assert_eq!(
        first_column_keys("| key | x |\n|---|---|\n| `timeout` or `timeout_seconds` | d |\n"),
        BTreeSet::from(["timeout".to_string(), "timeout_seconds".to_string()])
    );
}
