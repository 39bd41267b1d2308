//! The architecture invariants of ARCHITECTURE.md, checked against the real dependency graph
//! (`cargo tree`) and the sources.

#![allow(clippy::unwrap_used)] // Tests fail loudly on unexpected errors.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// Every package `package` depends on (transitively) for building its library, not its tests.
fn normal_dependencies(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["tree", "--offline", "-p", package, "-e", "normal", "--prefix", "none", "--format", "{p}"])
        .output()
        .expect("cargo tree runs");
    assert!(output.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

fn sources(crate_dir: &str) -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).expect("readable source dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("readable source");
                out.push((path, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(&workspace_root().join(crate_dir).join("src"), &mut out);
    out
}

const LIBRARY_CRATES: [&str; 6] =
    ["order-domain", "order-ports", "order-app", "adapters-memory", "adapters-aws", "adapters-documents"];

#[test]
fn order_domain_depends_on_no_runtime_io_or_aws_crate() {
    let deps = normal_dependencies("order-domain");
    assert!(deps.iter().any(|d| d == "rust_decimal"), "sanity: the tree lists dependencies: {deps:?}");
    for dep in &deps {
        assert!(
            !(dep == "tokio"
                || dep == "async-trait"
                || dep.starts_with("aws-")
                || dep.starts_with("aws_")
                || dep == "anyhow"),
            "order-domain must not depend on {dep}"
        );
    }
}

#[test]
fn order_domain_reads_no_clock_and_no_environment() {
    for (path, text) in sources("order-domain") {
        for forbidden in ["Utc::now", "Local::now", "SystemTime", "Instant::now", "std::env", "tokio", "async fn"] {
            assert!(!text.contains(forbidden), "{} mentions {forbidden}", path.display());
        }
    }
}

#[test]
fn only_adapters_aws_names_the_aws_sdk() {
    for package in LIBRARY_CRATES.iter().filter(|p| **p != "adapters-aws") {
        let deps = normal_dependencies(package);
        assert!(!deps.iter().any(|d| d.starts_with("aws-sdk-")), "{package} depends on the AWS SDK");
        for (path, text) in sources(package) {
            assert!(!text.contains("aws_sdk_"), "{} names aws_sdk_*", path.display());
        }
    }
}

#[test]
fn order_app_depends_on_no_adapter() {
    let deps = normal_dependencies("order-app");
    assert!(!deps.iter().any(|d| d.starts_with("adapters-")), "order-app depends on an adapter: {deps:?}");
    let deps = normal_dependencies("order-ports");
    assert!(!deps.iter().any(|d| d.starts_with("adapters-") || d == "order-app"), "order-ports points up: {deps:?}");
}

#[test]
fn library_crates_read_no_environment_and_use_no_anyhow() {
    for package in LIBRARY_CRATES {
        assert!(!normal_dependencies(package).iter().any(|d| d == "anyhow"), "{package} depends on anyhow");
        for (path, text) in sources(package) {
            assert!(!text.contains("env::var"), "{} reads the environment", path.display());
        }
    }
}
