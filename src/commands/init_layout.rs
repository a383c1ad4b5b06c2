//! What `lab init` reads of a repository: for each ecosystem it finds, the
//! paths its suites watch, taken from the project's own metadata —
//! pyproject.toml / setup.cfg packages, Cargo workspace members,
//! package.json workspaces, go.mod — and kept only when they exist, so the
//! registry `lab init` writes passes `lab check` without a warning. Reads
//! files only; what the suites look like is `init.rs`'s business.

use camino::Utf8Path;

/// Directories never walked when looking for members or source files.
const SKIPPED_DIRS: [&str; 6] = [
    "target",
    "node_modules",
    "vendor",
    "dist",
    "build",
    "__pycache__",
];

/// How deep member globs walk.
const MAX_DEPTH: usize = 4;

/// The files of the workspace as `lab check` sees them (`.gitignore`
/// honoured): a path is listed only when it holds one, so that no pattern
/// `lab init` writes is an `unmatched-path` warning.
pub struct Tree {
    files: Vec<String>,
}

impl Tree {
    /// The files under `dir`.
    pub fn read(dir: &Utf8Path) -> Tree {
        Tree {
            files: crate::registry::check::workspace_files(dir),
        }
    }

    /// `p` is a file, or a directory holding one, that `lab check` sees.
    fn holds(&self, p: &str) -> bool {
        let prefix = format!("{p}/");
        self.files.iter().any(|f| f == p || f.starts_with(&prefix))
    }
}

/// A Node.js project: its paths, its test tool, and how it runs tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Watched paths.
    pub paths: Vec<String>,
    /// The package manager: `npm`, `pnpm` or `yarn` (from the lockfile).
    pub manager: &'static str,
    /// The test tool that can write JUnit, when one is a dependency.
    pub tool: NodeTool,
    /// Arguments to `<manager> test`: the root's own test script, or each
    /// workspace's (`--workspaces --if-present`); `None` without either.
    pub test_args: Option<String>,
}

/// A Node.js test tool lab can wire JUnit for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeTool {
    /// vitest: its built-in `junit` reporter.
    Vitest,
    /// jest with the jest-junit reporter installed.
    JestJunit,
    /// Neither: the package manager's `test` script, no JUnit.
    Script,
}

/// The paths of a Python project, or `None` when `dir` is not one.
pub fn python(dir: &Utf8Path, tree: &Tree) -> Option<Vec<String>> {
    let markers = [
        "pyproject.toml",
        "setup.cfg",
        "setup.py",
        "pytest.ini",
        "tox.ini",
    ];
    if !markers.iter().any(|f| dir.join(f).is_file()) {
        return None;
    }
    let pyproject = read_toml(&dir.join("pyproject.toml"));
    let cfg = Ini::read(&dir.join("setup.cfg"));
    let mut paths = python_packages(dir, tree, &pyproject, &cfg);
    let testpaths = toml_strings(&pyproject, &["tool", "pytest", "ini_options", "testpaths"])
        .into_iter()
        .chain(cfg.list("tool:pytest", "testpaths"))
        .chain(Ini::read(&dir.join("pytest.ini")).list("pytest", "testpaths"))
        .chain(Ini::read(&dir.join("tox.ini")).list("pytest", "testpaths"))
        .collect::<Vec<_>>();
    let tests = if testpaths.is_empty() {
        vec!["tests".to_string(), "test".to_string()]
    } else {
        testpaths
    };
    paths.extend(tests);
    paths.extend(
        markers
            .iter()
            .chain(&["conftest.py", "noxfile.py", "requirements.txt"])
            .map(|s| s.to_string()),
    );
    Some(existing(dir, tree, paths))
}

/// The package directories (and single modules) a Python project ships.
fn python_packages(dir: &Utf8Path, tree: &Tree, pyproject: &toml::Table, cfg: &Ini) -> Vec<String> {
    let setuptools = ["tool", "setuptools"];
    let base = toml_str(pyproject, &["tool", "setuptools", "package-dir", ""])
        .or_else(|| {
            cfg.get("options", "package_dir")
                .map(|v| v.trim().trim_start_matches('=').trim().to_string())
        })
        .unwrap_or_default();
    let under = |p: &str| -> String {
        let top = p.split(['.', '/']).next().unwrap_or(p);
        if base.is_empty() {
            top.to_string()
        } else {
            format!("{base}/{top}")
        }
    };
    let mut out: Vec<String> = Vec::new();
    out.extend(
        toml_strings(pyproject, &[setuptools[0], setuptools[1], "packages"])
            .iter()
            .map(|p| under(p)),
    );
    out.extend(
        cfg.list("options", "packages")
            .iter()
            .filter(|p| !p.starts_with("find"))
            .map(|p| under(p)),
    );
    out.extend(toml_strings(
        pyproject,
        &["tool", "setuptools", "packages", "find", "where"],
    ));
    out.extend(cfg.list("options.packages.find", "where"));
    for m in toml_strings(pyproject, &["tool", "setuptools", "py-modules"])
        .into_iter()
        .chain(cfg.list("options", "py_modules"))
    {
        out.push(format!("{}.py", under(&m)));
    }
    out.extend(poetry_packages(pyproject));
    out.extend(toml_strings(
        pyproject,
        &["tool", "hatch", "build", "targets", "wheel", "packages"],
    ));
    out.extend(toml_str(pyproject, &["tool", "flit", "module", "name"]));
    let name = toml_str(pyproject, &["project", "name"])
        .or_else(|| toml_str(pyproject, &["tool", "poetry", "name"]))
        .or_else(|| cfg.get("metadata", "name").map(str::to_string));
    if let Some(name) = name {
        let module = name.trim().to_lowercase().replace(['-', '.'], "_");
        for guess in [
            module.clone(),
            format!("src/{module}"),
            format!("{module}.py"),
        ] {
            out.push(guess);
        }
    }
    let mut found = existing(dir, tree, out);
    if found.is_empty() {
        // No metadata names a package: the directories that are packages.
        found = existing(dir, tree, top_level_packages(dir));
    }
    found
}

/// `[tool.poetry] packages = [{ include = "x", from = "src" }]`.
fn poetry_packages(pyproject: &toml::Table) -> Vec<String> {
    let Some(list) = lookup(pyproject, &["tool", "poetry", "packages"]).and_then(|v| v.as_array())
    else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|p| {
            let include = p.get("include")?.as_str()?;
            let top = include.split('/').next().unwrap_or(include);
            Some(match p.get("from").and_then(|f| f.as_str()) {
                Some(from) => format!("{from}/{top}"),
                None => top.to_string(),
            })
        })
        .collect()
}

/// Top-level directories holding an `__init__.py` (in `src/` too), tests
/// and docs aside.
fn top_level_packages(dir: &Utf8Path) -> Vec<String> {
    let mut out = Vec::new();
    for base in ["", "src"] {
        for sub in subdirs(&dir.join(base)) {
            let rel = if base.is_empty() {
                sub.clone()
            } else {
                format!("{base}/{sub}")
            };
            if !matches!(sub.as_str(), "tests" | "test" | "docs")
                && dir.join(&rel).join("__init__.py").is_file()
            {
                out.push(format!("{rel}/"));
            }
        }
    }
    out
}

/// The paths of a Cargo project (members of its workspace included), or
/// `None` when `dir` has no Cargo.toml.
pub fn rust(dir: &Utf8Path, tree: &Tree) -> Option<Vec<String>> {
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        return None;
    }
    let cargo = read_toml(&manifest);
    let mut paths = Vec::new();
    if cargo.contains_key("package") || !cargo.contains_key("workspace") {
        for p in ["src", "tests", "benches", "examples", "build.rs"] {
            paths.push(p.to_string());
        }
    }
    let excluded = toml_strings(&cargo, &["workspace", "exclude"]);
    for pattern in toml_strings(&cargo, &["workspace", "members"]) {
        paths.extend(
            expand_dirs(dir, &pattern)
                .into_iter()
                .filter(|m| dir.join(m).join("Cargo.toml").is_file())
                .filter(|m| !excluded.iter().any(|e| e.trim_end_matches('/') == m)),
        );
    }
    for p in [
        "Cargo.toml",
        "Cargo.lock",
        ".config/nextest.toml",
        "rust-toolchain.toml",
    ] {
        paths.push(p.to_string());
    }
    Some(existing(dir, tree, paths))
}

/// The Node.js project in `dir`, or `None` without a package.json.
pub fn node(dir: &Utf8Path, tree: &Tree) -> Option<Node> {
    let text = std::fs::read_to_string(dir.join("package.json")).ok()?;
    let root: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let patterns: Vec<String> = match &root["workspaces"] {
        serde_json::Value::Array(a) => strings(a),
        serde_json::Value::Object(o) => o
            .get("packages")
            .and_then(|p| p.as_array())
            .map(|a| strings(a))
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let members: Vec<String> = patterns
        .iter()
        .flat_map(|p| expand_dirs(dir, p))
        .filter(|m| dir.join(m).join("package.json").is_file())
        .collect();
    let mut packages = vec![root.clone()];
    packages.extend(members.iter().filter_map(|m| {
        let text = std::fs::read_to_string(dir.join(m).join("package.json")).ok()?;
        serde_json::from_str::<serde_json::Value>(&text).ok()
    }));
    let depends = |name: &str| {
        packages.iter().any(|p| {
            ["dependencies", "devDependencies"]
                .iter()
                .any(|k| p[k].get(name).is_some())
        })
    };
    let tool = if depends("vitest") {
        NodeTool::Vitest
    } else if depends("jest") && depends("jest-junit") {
        NodeTool::JestJunit
    } else {
        NodeTool::Script
    };
    let own_test = root["scripts"]["test"]
        .as_str()
        .is_some_and(|t| !t.contains("no test specified"));
    let member_tests = packages[1..]
        .iter()
        .any(|p| p["scripts"]["test"].is_string());
    let test_args = match (own_test, member_tests) {
        (true, _) => Some(String::new()),
        (false, true) => Some("--workspaces --if-present".to_string()),
        (false, false) => None,
    };
    let manager = if dir.join("pnpm-lock.yaml").is_file() {
        "pnpm"
    } else if dir.join("yarn.lock").is_file() {
        "yarn"
    } else {
        "npm"
    };
    let mut paths = members;
    for p in [
        "src",
        "lib",
        "test",
        "tests",
        "__tests__",
        "index.js",
        "index.mjs",
        "index.ts",
        "package.json",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "pnpm-lock.yaml",
        "yarn.lock",
        "tsconfig.json",
        "vitest.config.ts",
        "vitest.config.js",
        "jest.config.js",
        "jest.config.ts",
    ] {
        paths.push(p.to_string());
    }
    Some(Node {
        paths: existing(dir, tree, paths),
        manager,
        tool,
        test_args,
    })
}

/// The paths of a Go module (its .go files wherever they are), or `None`
/// without go.mod.
pub fn go(dir: &Utf8Path, tree: &Tree) -> Option<Vec<String>> {
    if !dir.join("go.mod").is_file() {
        return None;
    }
    let mut paths = Vec::new();
    if tree.files.iter().any(|f| f.ends_with(".go")) {
        paths.push("**/*.go".to_string());
    }
    paths.extend(existing(
        dir,
        tree,
        vec!["go.mod".into(), "go.sum".into(), "go.work".into()],
    ));
    Some(paths)
}

/// A directory a search walks into: not hidden, not build output or
/// dependencies.
fn walkable(name: &str) -> bool {
    !name.starts_with('.') && !SKIPPED_DIRS.contains(&name)
}

/// The directories under `dir` matching a workspace glob (`crates/*`,
/// `packages/**`, `tools/cli`), relative, sorted.
fn expand_dirs(dir: &Utf8Path, pattern: &str) -> Vec<String> {
    let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
    if !pattern.contains(['*', '?', '[', '{']) {
        return if dir.join(pattern).is_dir() {
            vec![pattern.to_string()]
        } else {
            Vec::new()
        };
    }
    let Ok(glob) = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
    else {
        return Vec::new();
    };
    let matcher = glob.compile_matcher();
    let mut out = Vec::new();
    let mut stack: Vec<(String, usize)> = vec![(String::new(), 0)];
    while let Some((rel, depth)) = stack.pop() {
        for sub in subdirs(&dir.join(&rel)) {
            let path = if rel.is_empty() {
                sub
            } else {
                format!("{rel}/{sub}")
            };
            if matcher.is_match(&path) {
                out.push(path.clone());
            }
            if depth + 1 < MAX_DEPTH {
                stack.push((path, depth + 1));
            }
        }
    }
    out.sort();
    out
}

/// The walkable sub-directories of `dir`, by name, sorted.
fn subdirs(dir: &Utf8Path) -> Vec<String> {
    let mut out: Vec<String> = dir
        .read_dir_utf8()
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.file_name().to_string())
                .filter(|n| walkable(n))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Those of `paths` that exist under `dir`, each once, in order, without
/// those inside a directory already listed; directories written with a
/// trailing `/`.
fn existing(dir: &Utf8Path, tree: &Tree, paths: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in paths {
        let p = p.trim_start_matches("./").trim_end_matches('/');
        if p.is_empty() || p.contains("..") {
            continue;
        }
        if !tree.holds(p) {
            continue;
        }
        let shown = if dir.join(p).is_dir() {
            format!("{p}/")
        } else {
            p.to_string()
        };
        if !out.contains(&shown) {
            out.push(shown);
        }
    }
    let dirs: Vec<String> = out.iter().filter(|p| p.ends_with('/')).cloned().collect();
    out.retain(|p| !dirs.iter().any(|d| p != d && p.starts_with(d.as_str())));
    out
}

fn read_toml(path: &Utf8Path) -> toml::Table {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .unwrap_or_default()
}

fn lookup<'a>(table: &'a toml::Table, keys: &[&str]) -> Option<&'a toml::Value> {
    let (first, rest) = keys.split_first()?;
    rest.iter()
        .try_fold(table.get(*first)?, |v, k| v.as_table()?.get(*k))
}

fn toml_str(table: &toml::Table, keys: &[&str]) -> Option<String> {
    lookup(table, keys)?.as_str().map(str::to_string)
}

/// A string list (or one string) at `keys`.
fn toml_strings(table: &toml::Table, keys: &[&str]) -> Vec<String> {
    match lookup(table, keys) {
        Some(toml::Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(toml::Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn strings(a: &[serde_json::Value]) -> Vec<String> {
    a.iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// An INI file as setuptools and pytest read it: `[section]`, `key = value`,
/// indented continuation lines, `#`/`;` comments.
#[derive(Debug, Default)]
struct Ini {
    entries: Vec<(String, String, String)>,
}

impl Ini {
    fn read(path: &Utf8Path) -> Ini {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let mut ini = Ini::default();
        let mut section = String::new();
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                if let Some(last) = ini.entries.last_mut() {
                    last.2.push('\n');
                    last.2.push_str(trimmed);
                }
            } else if let Some(name) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                section = name.trim().to_string();
            } else if let Some((k, v)) = trimmed.split_once(['=', ':']) {
                ini.entries
                    .push((section.clone(), k.trim().to_string(), v.trim().to_string()));
            }
        }
        ini
    }

    fn get(&self, section: &str, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(s, k, _)| s == section && k == key)
            .map(|(_, _, v)| v.as_str())
    }

    /// A value split on commas, whitespace and lines.
    fn list(&self, section: &str, key: &str) -> Vec<String> {
        self.get(section, key)
            .map(|v| {
                v.split([',', '\n', ' ', '\t'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use camino::Utf8PathBuf;

    fn tree(files: &[(&str, &str)]) -> (tempfile::TempDir, Utf8PathBuf) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = Utf8PathBuf::try_from(tmp.path().to_path_buf()).expect("utf-8");
        for (path, text) in files {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        (tmp, root)
    }

    #[test]
    fn a_flat_python_package_is_found_by_its_name() {
        let (_tmp, dir) = tree(&[
            ("pyproject.toml", "[project]\nname = \"more-itertools\"\n"),
            ("more_itertools/__init__.py", ""),
            ("tests/test_more.py", ""),
        ]);
        assert_eq!(
            python(&dir, &Tree::read(&dir)).expect("python"),
            ["more_itertools/", "tests/", "pyproject.toml"]
        );
    }

    #[test]
    fn setup_cfg_packages_under_src_and_testpaths_are_read() {
        let (_tmp, dir) = tree(&[
            (
                "setup.cfg",
                "[metadata]\nname = calc\n\n[options]\npackage_dir =\n    =src\npackages = find:\n\n[options.packages.find]\nwhere = src\n\n[tool:pytest]\ntestpaths = checks\n",
            ),
            ("src/calc/__init__.py", ""),
            ("checks/test_calc.py", ""),
            ("tests/stale.txt", ""),
        ]);
        assert_eq!(
            python(&dir, &Tree::read(&dir)).expect("python"),
            ["src/", "checks/", "setup.cfg"]
        );
    }

    #[test]
    fn cargo_workspace_members_are_expanded_and_excluded() {
        let (_tmp, dir) = tree(&[
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"crates/*\", \"tools/cli\"]\nexclude = [\"crates/old\"]\n",
            ),
            ("crates/core/Cargo.toml", ""),
            ("crates/old/Cargo.toml", ""),
            ("crates/notes/README.md", ""),
            ("tools/cli/Cargo.toml", ""),
        ]);
        assert_eq!(
            rust(&dir, &Tree::read(&dir)).expect("rust"),
            ["crates/core/", "tools/cli/", "Cargo.toml"]
        );
    }
}
