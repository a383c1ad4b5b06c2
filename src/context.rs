//! What every command starts from: the current directory, the registry the
//! user pointed at, and how to print diagnostics. Loading the registry and
//! failing cleanly on an invalid one happen here, once.

use std::io::Write;

use camino::{Utf8Path, Utf8PathBuf};

use crate::error::Error;
use crate::registry::{self, Diagnostic, Loaded, Registry};
use crate::style::Style;

/// The environment of one command.
#[derive(Debug)]
pub struct Context {
    /// The current directory.
    pub cwd: Utf8PathBuf,
    /// `--registry` / `LAB_REGISTRY`.
    pub registry: Option<Utf8PathBuf>,
    /// Styling for stderr.
    pub style: Style,
}

impl Context {
    /// The context of this process.
    pub fn from_env(registry: Option<Utf8PathBuf>) -> Result<Self, Error> {
        let cwd = std::env::current_dir()
            .map_err(|e| Error::io("failed to read the current directory", e))?;
        let cwd = Utf8PathBuf::try_from(cwd)
            .map_err(|e| Error::usage(format!("the current directory is not UTF-8: {e}")))?;
        Ok(Context {
            cwd,
            registry,
            style: Style::for_stderr(),
        })
    }

    /// The path of the registry file.
    pub fn registry_path(&self) -> Result<Utf8PathBuf, Error> {
        registry::discover(&self.cwd, self.registry.as_deref())
    }

    /// Loads the registry with all its diagnostics, whatever they are.
    pub fn load(&self) -> Result<Loaded, Error> {
        Ok(registry::load(&self.registry_path()?))
    }

    /// Loads the registry for a command that needs a valid one: prints the
    /// diagnostics to stderr and fails (exit 2) when there is an error.
    pub fn registry(&self) -> Result<Registry, Error> {
        let loaded = self.load()?;
        self.print_diagnostics(&loaded.registry.workspace, &loaded.diagnostics);
        if loaded.has_errors() {
            return Err(invalid(&loaded));
        }
        Ok(loaded.registry)
    }

    /// Writes diagnostics to stderr, rendered, each file named from the
    /// current directory (`tools/lab/suites.toml:2:1` when lab runs at the
    /// repository root), so an editor or terminal can jump to it.
    pub fn print_diagnostics(&self, workspace: &Utf8Path, diagnostics: &[Diagnostic]) {
        let mut stderr = std::io::stderr().lock();
        for d in diagnostics {
            let mut d = d.clone();
            if let Some(file) = &d.file
                && let Some(shown) = crate::files::relative_path(&self.cwd, &workspace.join(file))
            {
                d.file = Some(shown);
            }
            // A failed write to stderr has nowhere else to be reported.
            let _ = writeln!(stderr, "{}", d.render(self.style));
        }
    }
}

/// The error that ends a command on an invalid registry.
pub fn invalid(loaded: &Loaded) -> Error {
    let errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
    let file: &Utf8Path = loaded.registry.registry_file();
    Error::registry(format!(
        "the registry `{file}` has {errors} error{}; nothing was run",
        if errors == 1 { "" } else { "s" }
    ))
    .hint("fix the problems above; `lab check` lists them all")
}

/// Ends a command's use of a large value without freeing it: the process is
/// about to exit, and freeing thousands of definitions one by one costs
/// milliseconds of the few that `lab suite list` is measured in.
pub fn release<T>(value: T) {
    std::mem::forget(value);
}
