//! The architecture invariants of ARCHITECTURE.md, each stated as an absence and checked over
//! every crate of the workspace (`cargo metadata`), against the real dependency graph
//! (`cargo tree`) and the sources.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What a crate is for; every workspace member must be one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Embeddable library code: reads no environment, names no SDK it does not own.
    Library,
    /// The composition root: wires adapters from settings; its binaries are the hosts.
    CompositionRoot,
    /// Runnable examples.
    Examples,
    /// Benchmark programs.
    Benchmarks,
}

fn role(package: &str) -> Role {
    match package {
        "order-domain"
        | "order-ports"
        | "order-app"
        | "adapters-system"
        | "adapters-memory"
        | "adapters-aws"
        | "adapters-documents"
        | "adapters-cart-service"
        | "adapters-http"
        | "adapters-lambda" => Role::Library,
        "order-service" => Role::CompositionRoot,
        "bbws-examples" => Role::Examples,
        "bbws-benchmarks" => Role::Benchmarks,
        other => panic!("the workspace crate {other} has no role here: add it to `role` and to ARCHITECTURE.md"),
    }
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.current_dir(workspace_root());
    command
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// Every workspace member: (package name, its directory).
fn members() -> Vec<(String, PathBuf)> {
    let output = cargo().args(["metadata", "--offline", "--no-deps", "--format-version", "1"]).output().unwrap();
    assert!(output.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let members: Vec<_> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|package| {
            let manifest = PathBuf::from(package["manifest_path"].as_str().unwrap());
            (package["name"].as_str().unwrap().to_owned(), manifest.parent().unwrap().to_path_buf())
        })
        .collect();
    assert!(members.len() >= 12, "sanity: cargo metadata lists the workspace: {members:?}");
    members
}

/// Every package `package` needs to build its library and binaries (not its tests), with the
/// given extra cargo arguments (features).
fn normal_dependencies(package: &str, extra: &[&str]) -> BTreeSet<String> {
    let output = cargo()
        .args(["tree", "--offline", "-p", package, "-e", "normal", "--prefix", "none", "--format", "{p}"])
        .args(extra)
        .output()
        .unwrap();
    assert!(output.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// `cargo tree -e features -i of` for `package` with the given extra arguments: the features
/// of `of` that building `package` enables.
fn features_of(package: &str, of: &str, extra: &[&str]) -> String {
    let output = cargo()
        .args(["tree", "--offline", "-p", package, "-e", "features", "-i", of, "--prefix", "none"])
        .args(extra)
        .output()
        .unwrap();
    assert!(output.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// The Rust sources under `dir` (recursively), skipping `skip` directories.
fn sources(dir: &Path, skip: &[&Path]) -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, skip: &[&Path], out: &mut Vec<(PathBuf, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for path in entries.flatten().map(|entry| entry.path()) {
            if skip.iter().any(|s| path == *s) {
                continue;
            }
            if path.is_dir() {
                walk(&path, skip, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, skip, &mut out);
    out
}

/// The code a crate ships: `src/` and, for the examples crate, its example programs; never its
/// tests or benches.
fn shipped_sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = sources(&dir.join("src"), &[]);
    for (path, text) in sources(dir, &[&dir.join("src"), &dir.join("tests"), &dir.join("benches"), &dir.join("target")])
    {
        out.push((path, text));
    }
    out
}

#[test]
fn every_workspace_crate_has_a_role() {
    for (package, _) in members() {
        role(&package);
    }
}

#[test]
fn only_host_binaries_read_the_environment() {
    for (package, dir) in members() {
        let skip_bins = dir.join("src").join("bin");
        let library_code = match role(&package) {
            Role::Library => shipped_sources(&dir),
            // The composition root's library takes its settings from a lookup or from clap,
            // which the binaries call; only `src/bin/` reads the process environment.
            Role::CompositionRoot => sources(&dir.join("src"), &[&skip_bins]),
            Role::Examples | Role::Benchmarks => continue,
        };
        for (path, text) in library_code {
            for read in ["std::env", "env::var", "env::args"] {
                assert!(!text.contains(read), "{} reads the environment ({read})", path.display());
            }
        }
    }
}

#[test]
fn only_adapters_aws_names_the_aws_sdk() {
    for (package, dir) in members() {
        if package == "adapters-aws" {
            continue;
        }
        let deps = normal_dependencies(&package, &["--all-features"]);
        if role(&package) == Role::Library {
            assert!(!deps.iter().any(|d| d.starts_with("aws-sdk-")), "{package} depends on the AWS SDK");
        }
        for (path, text) in shipped_sources(&dir) {
            assert!(!text.contains("aws_sdk_"), "{} names aws_sdk_*", path.display());
        }
    }
}

#[test]
fn the_quickstart_builds_no_http_server_jwt_rsa_http_client_or_aws_crate() {
    let deps = normal_dependencies("bbws-examples", &[]);
    assert!(deps.contains("order-app") && deps.contains("adapters-documents"), "sanity: {deps:?}");
    for dep in &deps {
        let forbidden = ["axum", "hyper", "tower-http", "jsonwebtoken", "rsa", "reqwest", "lambda_runtime", "clap"]
            .contains(&dep.as_str())
            || dep.starts_with("aws-")
            || dep.starts_with("aws_");
        assert!(!forbidden, "the quickstart's build needs {dep}");
    }
}

#[test]
fn order_domain_depends_on_no_runtime_io_or_aws_crate() {
    let deps = normal_dependencies("order-domain", &["--all-features"]);
    assert!(deps.contains("rust_decimal"), "sanity: the tree lists dependencies: {deps:?}");
    for dep in &deps {
        let forbidden = dep == "tokio"
            || dep == "async-trait"
            || dep.starts_with("aws-")
            || dep.starts_with("aws_")
            || dep == "anyhow";
        assert!(!forbidden, "order-domain must not depend on {dep}");
    }
}

/// `order-domain` cannot read the clock. Built alone (as an embedder builds it), chrono has no
/// `clock` feature, so `Utc::now` does not exist for it. A workspace build with
/// `--all-features` unifies chrono's features, and `aws_lambda_events` (the Lambda adapter)
/// needs `clock`: there the guarantee is the weaker one below — no source of the domain
/// mentions a clock, and clippy's `disallowed-methods` (clippy.toml) refuses `Utc::now` and
/// `Local::now` in every crate, so the wall clock is reached only through the `Clock` port.
#[test]
fn order_domain_has_no_clock() {
    let tree = features_of("order-domain", "chrono", &[]);
    assert!(tree.contains("chrono feature \"serde\""), "sanity: the tree lists chrono's features: {tree}");
    assert!(!tree.contains("chrono feature \"clock\""), "order-domain built alone has chrono's clock: {tree}");

    let clippy = std::fs::read_to_string(workspace_root().join("clippy.toml")).unwrap();
    for method in ["chrono::Utc::now", "chrono::Local::now"] {
        assert!(clippy.contains(&format!("\"{method}\"")), "clippy.toml does not disallow {method}");
    }
    for (path, text) in sources(&workspace_root().join("order-domain").join("src"), &[]) {
        for forbidden in ["Utc::now", "Local::now", "SystemTime", "Instant::now", "std::env", "tokio", "async fn"] {
            assert!(!text.contains(forbidden), "{} mentions {forbidden}", path.display());
        }
    }
}

#[test]
fn the_inner_hexagon_points_down_only() {
    let app = normal_dependencies("order-app", &["--all-features"]);
    assert!(!app.iter().any(|d| d.starts_with("adapters-")), "order-app depends on an adapter: {app:?}");
    let ports = normal_dependencies("order-ports", &["--all-features"]);
    assert!(!ports.iter().any(|d| d.starts_with("adapters-") || d == "order-app"), "order-ports points up: {ports:?}");
    for adapter in ["adapters-system", "adapters-memory", "adapters-aws", "adapters-documents"] {
        let deps = normal_dependencies(adapter, &["--all-features"]);
        assert!(!deps.contains("order-app"), "the driven adapter {adapter} depends on order-app");
    }
    for (package, _) in members() {
        if role(&package) == Role::Library {
            let deps = normal_dependencies(&package, &["--all-features"]);
            assert!(!deps.contains("order-service"), "the library {package} depends on the composition root");
            assert!(!deps.contains("anyhow"), "the library {package} depends on anyhow");
        }
    }
}

#[test]
fn only_adapters_http_and_the_hosts_name_axum() {
    for (package, dir) in members() {
        if matches!(package.as_str(), "adapters-http" | "adapters-lambda") || role(&package) != Role::Library {
            continue;
        }
        for (path, text) in shipped_sources(&dir) {
            assert!(!text.contains("axum::"), "{} names axum", path.display());
        }
    }
}

/// Production builds of the hosts (`--no-default-features` with `lambda`, `aws` or `http`)
/// have no development issuer: `adapters-http` is built without `dev-issuer`, so `/dev/token`
/// and `DevIssuer` do not exist in them. The default build (development) has it.
#[test]
fn production_builds_have_no_development_issuer() {
    let http_features = |extra: &[&str]| features_of("order-service", "adapters-http", extra);
    for features in ["lambda", "aws", "http"] {
        let tree = http_features(&["--no-default-features", "--features", features]);
        assert!(tree.contains("adapters-http"), "sanity: --features {features} builds adapters-http: {tree}");
        assert!(!tree.contains("dev-issuer"), "--no-default-features --features {features} has the dev issuer: {tree}");
    }
    assert!(
        http_features(&[]).contains("adapters-http feature \"dev-issuer\""),
        "the default build is for development"
    );
}

/// The demonstration values (`demo_config`, `demo_supplier`, `seed_demo_carts`,
/// `StackOptions::demo`) can never be reached from a production path:
/// - production builds (`--no-default-features` with `lambda`, `aws` or `http`) do not have
///   `order-service`'s feature `demo`, so the values do not exist in them (and the compiler
///   proves no ungated code calls them: `scripts/test` lints that build);
/// - in the composition root's own code, besides their definitions in `memory.rs`, only the
///   development branch of `profile.rs` (`fn development`, compiled with the feature `dev`)
///   names them; no binary does.
#[test]
fn only_development_mode_reaches_the_demonstration_values() {
    let features = |extra: &[&str]| features_of("order-service", "order-service", extra);
    for build in ["lambda", "aws", "http"] {
        let tree = features(&["--no-default-features", "--features", build]);
        assert!(tree.contains(&format!("order-service feature \"{build}\"")), "sanity: {tree}");
        assert!(!tree.contains("order-service feature \"demo\""), "--features {build} has the demonstration values");
    }
    assert!(features(&[]).contains("order-service feature \"demo\""), "the default build is for development");

    let demo_names = ["demo_config", "demo_supplier", "seed_demo_carts", "StackOptions::demo"];
    let src = workspace_root().join("order-service").join("src");
    for (path, text) in sources(&src, &[]) {
        let file = path.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
        for name in demo_names {
            for (at, _) in text.match_indices(name) {
                let (line, item) = enclosing_item(&text, at);
                if line.trim_start().starts_with("//") {
                    continue; // documentation
                }
                let allowed = match file.as_str() {
                    // Defined and used only in items gated by the feature `demo`.
                    "memory.rs" => item.is_some_and(|(gate, _)| gate == "#[cfg(feature = \"demo\")]"),
                    // Development mode's branch, compiled with the feature `dev`.
                    "profile.rs" => item.is_some_and(|(gate, item)| {
                        gate == "#[cfg(feature = \"dev\")]" && item.starts_with("fn development(")
                    }),
                    _ => false,
                };
                assert!(allowed, "{file} names {name} outside development mode: {line:?}");
            }
        }
    }
}

/// The line of `text` holding byte `at`, and the gated item around it, if any: the innermost
/// enclosing item (by indentation) that carries a `#[cfg(feature …)]` gate on the line right
/// above it, as (gate, the item's first line). The search stops at the first top-level item.
fn enclosing_item(text: &str, at: usize) -> (&str, Option<(&str, &str)>) {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or_default();
    let lines: Vec<&str> = text[..line_start].lines().chain([line]).collect();
    let indentation = |line: &str| line.len() - line.trim_start().len();
    let is_item = |line: &str| {
        let line = line.trim_start();
        [
            "pub fn ",
            "fn ",
            "pub use ",
            "use ",
            "mod ",
            "pub mod ",
            "impl ",
            "impl<",
            "pub struct ",
            "struct ",
            "pub enum ",
        ]
        .iter()
        .any(|start| line.starts_with(start))
    };
    // Only items less indented than the scope seen so far enclose it (the mention's own line
    // may be the item's first line).
    let mut scope = indentation(line) + 1;
    for i in (0..lines.len()).rev() {
        let candidate = lines[i];
        if candidate.trim().is_empty() || indentation(candidate) >= scope || !is_item(candidate) {
            continue;
        }
        scope = indentation(candidate);
        let gate = if i > 0 { lines[i - 1].trim() } else { "" };
        if gate.starts_with("#[cfg(feature") {
            return (line, Some((gate, candidate.trim_start())));
        }
        if scope == 0 {
            break;
        }
    }
    (line, None)
}
