//! `pm.require`: the Postman app's package library, served from local files. A team package
//! (`@team/name`) is a file or folder in the `--package-dir` directory; `npm:name@version` is
//! the package in `node_modules` under the working directory, when its version matches. Files a
//! package requires are found the way Node finds them (relative paths, then `node_modules`).

use std::path::{Path, PathBuf};

use rquickjs::{Ctx, Exception, Function, Object};

/// Where `pm.require` looks for packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRoots {
    /// The team package directory (`--package-dir`), when given.
    pub team_dir: Option<PathBuf>,
    /// The `node_modules` directory npm packages come from.
    pub node_modules: PathBuf,
}

impl Default for PackageRoots {
    /// No team directory; `node_modules` in the current directory.
    fn default() -> Self {
        PackageRoots {
            team_dir: None,
            node_modules: PathBuf::from("node_modules"),
        }
    }
}

impl PackageRoots {
    /// The file `pm.require(name)` loads, or an error naming the package and where it looked.
    pub fn resolve(&self, name: &str) -> Result<PathBuf, String> {
        if let Some(spec) = name.strip_prefix("npm:") {
            return self.resolve_npm(name, spec);
        }
        if !name.starts_with('@') || name.matches('/').count() != 1 || name.contains("..") {
            return Err(format!(
                "Cannot find package '{name}': pm.require takes a team package '@team/name' or 'npm:name@version'"
            ));
        }
        let Some(dir) = &self.team_dir else {
            return Err(format!(
                "Cannot find package '{name}': team packages are read from --package-dir, which was not given"
            ));
        };
        let base = dir.join(name);
        module_file(&base).ok_or_else(|| {
            format!(
                "Cannot find package '{name}': looked for {0}.js and {0}/index.js",
                base.display()
            )
        })
    }

    /// `npm:name@version` (the version may be left out; a scoped name keeps its `@scope/`).
    fn resolve_npm(&self, name: &str, spec: &str) -> Result<PathBuf, String> {
        let (package, version) = match spec.rfind('@').filter(|&at| at > 0) {
            Some(at) => (&spec[..at], Some(&spec[at + 1..])),
            None => (spec, None),
        };
        if package.is_empty() || package.contains("..") {
            return Err(format!(
                "Cannot find package '{name}': invalid npm package name"
            ));
        }
        let dir = self.node_modules.join(package);
        let manifest = dir.join("package.json");
        let text = std::fs::read_to_string(&manifest).map_err(|_| {
            format!(
                "Cannot find package '{name}': {} does not exist (run `npm install {package}` there)",
                manifest.display()
            )
        })?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("Cannot load package '{name}': {}: {e}", manifest.display()))?;
        let installed = json["version"].as_str().unwrap_or_default();
        if let Some(wanted) = version.filter(|v| !v.is_empty() && *v != installed) {
            return Err(format!(
                "Cannot find package '{name}': {} holds version {installed}, not {wanted}",
                dir.display()
            ));
        }
        module_file(&dir).ok_or_else(|| {
            format!(
                "Cannot find package '{name}': {} has no entry file",
                dir.display()
            )
        })
    }

    /// The file `require(request)` inside the package file `from` loads.
    pub fn resolve_from(&self, from: &Path, request: &str) -> Result<PathBuf, String> {
        let found = if request.starts_with("./") || request.starts_with("../") {
            from.parent()
                .and_then(|dir| module_file(&dir.join(request)))
        } else {
            // Bare names: the nearest node_modules above the file, then the run's.
            from.ancestors()
                .filter(|dir| dir.file_name().is_some_and(|n| n == "node_modules"))
                .chain(std::iter::once(self.node_modules.as_path()))
                .find_map(|dir| module_file(&dir.join(request)))
        };
        found.ok_or_else(|| format!("Cannot find module '{request}' from {}", from.display()))
    }
}

/// `base` as Node resolves it: the file itself, with `.js` or `.json`, or a folder's
/// `package.json` `main` or `index.js`.
fn module_file(base: &Path) -> Option<PathBuf> {
    if base.is_file() {
        return Some(base.to_path_buf());
    }
    for ext in [".js", ".json"] {
        let mut file = base.as_os_str().to_owned();
        file.push(ext);
        let file = PathBuf::from(file);
        if file.is_file() {
            return Some(file);
        }
    }
    if !base.is_dir() {
        return None;
    }
    let main = std::fs::read_to_string(base.join("package.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|j| j["main"].as_str().map(str::to_owned));
    if let Some(found) = main.and_then(|m| module_file(&base.join(m))) {
        return Some(found);
    }
    ["index.js", "index.json"]
        .iter()
        .map(|f| base.join(f))
        .find(|f| f.is_file())
}

/// A `{path}` or `{error}` JSON answer for the prelude.
fn answer(found: Result<PathBuf, String>) -> String {
    match found {
        Ok(path) => serde_json::json!({ "path": path.to_string_lossy() }),
        Err(error) => serde_json::json!({ "error": error }),
    }
    .to_string()
}

/// Defines `__snapman_packages` with `resolve(name)`, `resolveFrom(file, request)` and
/// `read(file)` for the prelude's `pm.require`.
pub(crate) fn register(ctx: &Ctx<'_>, roots: PackageRoots) -> rquickjs::Result<()> {
    let native = Object::new(ctx.clone())?;
    let for_resolve = roots.clone();
    native.set(
        "resolve",
        Function::new(ctx.clone(), move |name: String| {
            answer(for_resolve.resolve(&name))
        })?,
    )?;
    native.set(
        "resolveFrom",
        Function::new(ctx.clone(), move |from: String, request: String| {
            answer(roots.resolve_from(Path::new(&from), &request))
        })?,
    )?;
    native.set(
        "read",
        Function::new(ctx.clone(), |ctx: Ctx<'_>, file: String| {
            std::fs::read_to_string(&file)
                .map_err(|e| Exception::throw_message(&ctx, &format!("cannot read {file}: {e}")))
        })?,
    )?;
    ctx.globals().set("__snapman_packages", native)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots(dir: &Path) -> PackageRoots {
        PackageRoots {
            team_dir: Some(dir.join("packages")),
            node_modules: dir.join("node_modules"),
        }
    }

    fn write(path: PathBuf, text: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn team_packages_are_files_or_folders() {
        let tmp = tempfile::tempdir().expect("tmp");
        let r = roots(tmp.path());
        write(tmp.path().join("packages/@acme/sign.js"), "");
        write(tmp.path().join("packages/@acme/util/index.js"), "");
        assert!(
            r.resolve("@acme/sign")
                .expect("file")
                .ends_with("@acme/sign.js")
        );
        assert!(
            r.resolve("@acme/util")
                .expect("folder")
                .ends_with("@acme/util/index.js")
        );
        let missing = r.resolve("@acme/nope").expect_err("missing");
        assert!(
            missing.contains("'@acme/nope'") && missing.contains("packages/@acme/nope.js"),
            "{missing}"
        );
        assert!(r.resolve("lodash").is_err());
        assert!(r.resolve("@acme/../../etc").is_err());
        let without = PackageRoots::default()
            .resolve("@acme/sign")
            .expect_err("no dir");
        assert!(without.contains("--package-dir"), "{without}");
    }

    #[test]
    fn npm_packages_come_from_node_modules_at_their_version() {
        let tmp = tempfile::tempdir().expect("tmp");
        let r = roots(tmp.path());
        write(
            tmp.path().join("node_modules/left-pad/package.json"),
            r#"{"version": "1.3.0", "main": "lib/main"}"#,
        );
        write(tmp.path().join("node_modules/left-pad/lib/main.js"), "");
        write(tmp.path().join("node_modules/left-pad/lib/other.js"), "");
        let main = r.resolve("npm:left-pad@1.3.0").expect("found");
        assert!(main.ends_with("lib/main.js"));
        assert!(r.resolve("npm:left-pad").is_ok());
        let wrong = r.resolve("npm:left-pad@2.0.0").expect_err("version");
        assert!(
            wrong.contains("1.3.0") && wrong.contains("2.0.0"),
            "{wrong}"
        );
        assert!(
            r.resolve("npm:absent@1.0.0")
                .expect_err("absent")
                .contains("npm install absent")
        );
        let other = r.resolve_from(&main, "./other").expect("relative");
        assert!(other.ends_with("lib/other.js"));
        assert!(r.resolve_from(&main, "left-pad").is_ok());
        assert!(r.resolve_from(&main, "./none").is_err());
    }
}
