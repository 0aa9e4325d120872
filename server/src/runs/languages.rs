//! The languages the pad can run: one declarative entry per id of [`api::LANGUAGES`], and what
//! this machine has of their toolchains (detected once, at start).
//!
//! Inside the sandbox the program's text is `/src/<file>` (read-only), the working directory
//! is the scratch `/tmp`, and `PATH` is `/usr/local/bin:/usr/bin:/bin`. `compile` and `run`
//! are `sh` command lines (fixed here; no user text is ever put into them). A compile step's
//! output is shown as stderr, and a non-zero status from it is a compile error.
//!
//! Adding a language is one more [`Spec`] in [`SPECS`]: its file name, commands, the binaries
//! it needs on `PATH` (missing ones make it "not installed on this server"), its environment
//! and how much more memory, processes or files than the default limits it needs.

use std::path::{Path, PathBuf};

/// Where a language's toolchain comes from, beyond the read-only `/usr` every run sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toolchain {
    /// Everything under `/usr` (Debian packages).
    System,
    /// A rustup toolchain's sysroot, bound read-only at `/opt/rust` (its `rustc` is
    /// `/opt/rust/bin/rustc`); Debian's `rustc` when there is no rustup.
    Rust,
    /// The `esbuild` binary from npm (the project's `.tools/`), bound at `/opt/esbuild/esbuild`.
    Esbuild,
}

/// One language, as declared.
#[derive(Debug)]
pub struct Spec {
    pub id: &'static str,
    /// The program's file name inside the sandbox (`/src/<file>`).
    pub file: &'static str,
    pub compile: Option<&'static str>,
    pub run: &'static str,
    /// Binaries that must be on the sandbox's `PATH` for the language to run.
    pub needs: &'static [&'static str],
    pub toolchain: Toolchain,
    /// Directories under `/etc` the toolchain reads (bound read-only when present).
    pub etc: &'static [&'static str],
    /// Environment besides `PATH`, `HOME=/tmp`, `TMPDIR=/tmp` and `LANG=C.UTF-8`.
    pub env: &'static [(&'static str, &'static str)],
    /// Files written (read-only) into the sandbox next to the program: `(path, contents)`.
    pub files: &'static [(&'static str, &'static str)],
    /// Added to the program's memory limit.
    pub extra_memory_mb: u64,
    /// The compile step's memory limit, when it needs more than the program (compilers do).
    pub compile_memory_mb: u64,
    /// Where there is no memory cgroup, the limit is on address space instead: at least this
    /// much (the JVM, Go and V8 reserve far more address space than they use).
    pub address_space_mb: u64,
    /// Added to the process/thread limit (the JVM, Go and Node run many threads).
    pub extra_processes: u64,
    pub extra_open_files: u64,
}

/// The sample database every SQL run starts from (an in-memory SQLite database, seeded anew
/// for each run, so a run may change it freely):
///
/// - `departments(id, name, location)`: 4 departments;
/// - `employees(id, name, title, department_id → departments, manager_id → employees,
///   salary, hired_on)`: 12 people, some managing others, one without a department.
pub const SQL_SEED: &str = include_str!("seed.sql");

/// Every language of the pad's selector. The order is the selector's.
pub const SPECS: &[Spec] = &[
    Spec {
        id: "python",
        file: "main.py",
        compile: None,
        run: "python3 /src/main.py",
        needs: &["python3"],
        toolchain: Toolchain::System,
        etc: &[],
        env: &[("PYTHONUNBUFFERED", "1"), ("PYTHONDONTWRITEBYTECODE", "1")],
        files: &[],
        extra_memory_mb: 0,
        compile_memory_mb: 0,
        address_space_mb: 0,
        extra_processes: 0,
        extra_open_files: 0,
    },
    Spec {
        id: "javascript",
        file: "main.js",
        compile: None,
        run: "node /src/main.js",
        needs: &["node"],
        toolchain: Toolchain::System,
        etc: &[],
        env: &[],
        files: &[],
        extra_memory_mb: 0,
        compile_memory_mb: 0,
        address_space_mb: 4096,
        extra_processes: 16,
        extra_open_files: 0,
    },
    Spec {
        id: "typescript",
        file: "main.ts",
        compile: Some(
            "/opt/esbuild/esbuild /src/main.ts --outfile=/tmp/main.js --format=cjs \
             --platform=node --log-level=warning",
        ),
        run: "node /tmp/main.js",
        needs: &["node"],
        toolchain: Toolchain::Esbuild,
        etc: &[],
        env: &[],
        files: &[],
        extra_memory_mb: 0,
        compile_memory_mb: 512,
        address_space_mb: 4096,
        extra_processes: 16,
        extra_open_files: 0,
    },
    Spec {
        id: "java",
        // The class with `main` is `Main`.
        file: "Main.java",
        compile: Some(
            "javac -J-XX:+UseSerialGC -J-XX:TieredStopAtLevel=1 -J-Xshare:auto -d /tmp \
             /src/Main.java",
        ),
        run: "java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -cp /tmp Main",
        needs: &["javac", "java"],
        toolchain: Toolchain::System,
        etc: &["alternatives", "java-*"],
        env: &[],
        files: &[],
        extra_memory_mb: 0,
        compile_memory_mb: 768,
        address_space_mb: 4096,
        extra_processes: 64,
        extra_open_files: 256,
    },
    Spec {
        id: "c",
        file: "main.c",
        compile: Some("gcc -O2 -Wall -o /tmp/main /src/main.c -lm"),
        run: "/tmp/main",
        needs: &["gcc"],
        toolchain: Toolchain::System,
        etc: &["alternatives"],
        env: &[],
        files: &[],
        extra_memory_mb: 0,
        compile_memory_mb: 512,
        address_space_mb: 0,
        extra_processes: 8,
        extra_open_files: 0,
    },
    Spec {
        id: "cpp",
        file: "main.cpp",
        compile: Some("g++ -O2 -Wall -std=c++17 -o /tmp/main /src/main.cpp"),
        run: "/tmp/main",
        needs: &["g++"],
        toolchain: Toolchain::System,
        etc: &["alternatives"],
        env: &[],
        files: &[],
        extra_memory_mb: 0,
        compile_memory_mb: 768,
        address_space_mb: 0,
        extra_processes: 8,
        extra_open_files: 0,
    },
    Spec {
        id: "csharp",
        // Mono's compiler and runtime (Debian `mono-mcs` and `mono-runtime`), when installed.
        file: "main.cs",
        compile: Some("mcs -out:/tmp/main.exe /src/main.cs"),
        run: "mono /tmp/main.exe",
        needs: &["mcs", "mono"],
        toolchain: Toolchain::System,
        etc: &["alternatives", "mono"],
        env: &[],
        files: &[],
        extra_memory_mb: 0,
        compile_memory_mb: 512,
        address_space_mb: 4096,
        extra_processes: 64,
        extra_open_files: 256,
    },
    Spec {
        id: "go",
        file: "main.go",
        compile: Some("go build -o /tmp/main /src/main.go"),
        run: "/tmp/main",
        needs: &["go"],
        toolchain: Toolchain::System,
        etc: &["alternatives"],
        env: &[
            ("GOCACHE", "/tmp/gocache"),
            ("GOPATH", "/tmp/go"),
            ("GO111MODULE", "off"),
            ("GOFLAGS", "-buildvcs=false"),
        ],
        files: &[],
        extra_memory_mb: 0,
        compile_memory_mb: 768,
        address_space_mb: 2048,
        extra_processes: 64,
        extra_open_files: 512,
    },
    Spec {
        id: "rust",
        file: "main.rs",
        compile: Some(
            "/opt/rust/bin/rustc --edition 2021 -C opt-level=1 -o /tmp/main /src/main.rs",
        ),
        run: "/tmp/main",
        needs: &["cc"],
        toolchain: Toolchain::Rust,
        etc: &["alternatives"],
        env: &[],
        files: &[],
        extra_memory_mb: 0,
        compile_memory_mb: 1024,
        address_space_mb: 0,
        extra_processes: 32,
        extra_open_files: 256,
    },
    Spec {
        id: "ruby",
        file: "main.rb",
        compile: None,
        run: "ruby /src/main.rb",
        needs: &["ruby"],
        toolchain: Toolchain::System,
        etc: &[],
        env: &[],
        files: &[],
        extra_memory_mb: 0,
        compile_memory_mb: 0,
        address_space_mb: 0,
        extra_processes: 8,
        extra_open_files: 0,
    },
    Spec {
        id: "kotlin",
        // Debian's `kotlin` package (slow to compile), when installed.
        file: "main.kt",
        compile: Some("kotlinc /src/main.kt -include-runtime -d /tmp/main.jar"),
        run: "java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar /tmp/main.jar",
        needs: &["kotlinc", "java"],
        toolchain: Toolchain::System,
        etc: &["alternatives", "java-*"],
        env: &[],
        files: &[],
        extra_memory_mb: 0,
        compile_memory_mb: 1024,
        address_space_mb: 4096,
        extra_processes: 64,
        extra_open_files: 512,
    },
    Spec {
        id: "sql",
        file: "main.sql",
        compile: None,
        run: "sqlite3 -bail -table :memory: '.read /opt/seed.sql' '.read /src/main.sql'",
        needs: &["sqlite3"],
        toolchain: Toolchain::System,
        etc: &[],
        env: &[],
        files: &[("/opt/seed.sql", SQL_SEED)],
        extra_memory_mb: 0,
        compile_memory_mb: 0,
        address_space_mb: 0,
        extra_processes: 0,
        extra_open_files: 0,
    },
];

/// The directories whose binaries the sandbox's `PATH` finds (all under the read-only `/usr`).
pub const SANDBOX_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// A host path bound read-only into the sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    pub host: PathBuf,
    pub sandbox: PathBuf,
}

/// A language as this machine can run it: its entry, and the host paths its toolchain needs.
#[derive(Debug, Clone)]
pub struct Language {
    pub spec: &'static Spec,
    /// The toolchain is installed: runs can start.
    pub runnable: bool,
    /// Host paths besides `/usr` bound read-only (the Rust sysroot, esbuild, `/etc` parts).
    pub binds: Vec<Bind>,
}

impl Language {
    pub fn id(&self) -> &'static str {
        self.spec.id
    }
}

/// Every language of the selector and whether it runs here.
#[derive(Debug, Clone)]
pub struct Languages {
    languages: Vec<Language>,
}

/// Where the detection looks: split out so the table is testable against a fake machine.
#[derive(Debug, Clone)]
pub struct Host {
    /// The host directories behind the sandbox's `PATH` (the `/usr` the sandbox sees).
    pub path_dirs: Vec<PathBuf>,
    pub etc: PathBuf,
    /// A Rust sysroot (with `bin/rustc`), if any.
    pub rust_sysroot: Option<PathBuf>,
    /// The `esbuild` binary, if any.
    pub esbuild: Option<PathBuf>,
}

impl Host {
    /// This machine: `/usr/local/bin`, `/usr/bin`, `/bin`; the rustup toolchain that `rustc
    /// --print sysroot` names; esbuild from `STAGEPAD_TOOLS_DIR` or the nearest `.tools/` above
    /// the working directory or the executable.
    pub fn this_machine() -> Host {
        Host {
            path_dirs: SANDBOX_PATH.split(':').map(PathBuf::from).collect(),
            etc: PathBuf::from("/etc"),
            rust_sysroot: rust_sysroot(),
            esbuild: find_esbuild(),
        }
    }
}

fn rust_sysroot() -> Option<PathBuf> {
    let output = std::process::Command::new("rustc")
        .args(["--print", "sysroot"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let sysroot = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    (output.status.success() && sysroot.join("bin/rustc").is_file()).then_some(sysroot)
}

fn find_esbuild() -> Option<PathBuf> {
    let mut tools_dirs: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::var_os("STAGEPAD_TOOLS_DIR") {
        tools_dirs.push(PathBuf::from(dir));
    }
    let starts = [
        std::env::current_dir().ok(),
        std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(Path::to_path_buf)),
    ];
    for start in starts.into_iter().flatten() {
        tools_dirs.extend(start.ancestors().map(|dir| dir.join(".tools")));
    }
    // npm puts the binary of this platform in @esbuild/linux-<arch>.
    tools_dirs.iter().find_map(|tools| {
        std::fs::read_dir(tools.join("node_modules/@esbuild"))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("linux-"))
            .map(|e| e.path().join("bin/esbuild"))
            .find(|path| is_executable(path))
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

impl Languages {
    /// Looks at this machine once: which toolchains are installed.
    pub fn detect() -> Languages {
        Languages::detect_on(&Host::this_machine())
    }

    pub fn detect_on(host: &Host) -> Languages {
        let languages =
            SPECS
                .iter()
                .map(|spec| {
                    let on_path =
                        |bin: &str| host.path_dirs.iter().any(|d| is_executable(&d.join(bin)));
                    let mut runnable = spec.needs.iter().all(|bin| on_path(bin));
                    let mut binds = Vec::new();
                    match spec.toolchain {
                        Toolchain::System => {}
                        Toolchain::Rust => match &host.rust_sysroot {
                            Some(sysroot) => binds.push(Bind {
                                host: sysroot.clone(),
                                sandbox: PathBuf::from("/opt/rust"),
                            }),
                            None => runnable = false,
                        },
                        Toolchain::Esbuild => match &host.esbuild {
                            Some(esbuild) => binds.push(Bind {
                                host: esbuild.clone(),
                                sandbox: PathBuf::from("/opt/esbuild/esbuild"),
                            }),
                            None => runnable = false,
                        },
                    }
                    for pattern in spec.etc {
                        binds.extend(etc_matches(&host.etc, pattern).into_iter().map(|name| {
                            Bind {
                                host: host.etc.join(&name),
                                sandbox: Path::new("/etc").join(&name),
                            }
                        }));
                    }
                    Language {
                        spec,
                        runnable,
                        binds,
                    }
                })
                .collect();
        Languages { languages }
    }

    /// The language of a pad's selector, installed or not; `None` for an id it does not have.
    pub fn get(&self, id: &str) -> Option<&Language> {
        self.languages.iter().find(|l| l.spec.id == id)
    }

    /// The language exists and its toolchain is installed here.
    pub fn runnable(&self, id: &str) -> bool {
        self.get(id).is_some_and(|l| l.runnable)
    }

    /// What `GET /api/languages` answers: every language of the selector, in its order.
    pub fn infos(&self) -> Vec<api::LanguageInfo> {
        api::LANGUAGES
            .iter()
            .map(|(id, label)| api::LanguageInfo {
                id: id.to_string(),
                label: label.to_string(),
                runnable: self.runnable(id),
            })
            .collect()
    }
}

/// Entries of `etc` named `pattern`, where a trailing `*` matches any rest.
fn etc_matches(etc: &Path, pattern: &str) -> Vec<String> {
    match pattern.strip_suffix('*') {
        None => {
            if etc.join(pattern).exists() {
                vec![pattern.to_string()]
            } else {
                Vec::new()
            }
        }
        Some(prefix) => {
            let mut names: Vec<String> = std::fs::read_dir(etc)
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.starts_with(prefix))
                .collect();
            names.sort();
            names
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_host(dir: &Path, bins: &[&str], rust: bool, esbuild: bool) -> Host {
        use std::os::unix::fs::PermissionsExt;
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        for name in bins {
            let path = bin.join(name);
            std::fs::write(&path, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let etc = dir.join("etc");
        std::fs::create_dir_all(etc.join("java-17-openjdk")).unwrap();
        std::fs::create_dir_all(etc.join("alternatives")).unwrap();
        Host {
            path_dirs: vec![bin.clone()],
            etc,
            rust_sysroot: rust.then(|| dir.join("rust")),
            esbuild: esbuild.then(|| bin.join("esbuild")),
        }
    }

    #[test]
    fn every_language_of_the_selector_has_one_entry() {
        let ids: Vec<&str> = SPECS.iter().map(|s| s.id).collect();
        let selector: Vec<&str> = api::LANGUAGES.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, selector);
        for spec in SPECS {
            assert!(
                !spec.file.contains('/') && spec.file.contains('.'),
                "{}",
                spec.id
            );
            // The commands name the program where the sandbox puts it.
            let commands = format!("{} {}", spec.compile.unwrap_or(""), spec.run);
            assert!(
                commands.contains(&format!("/src/{}", spec.file)),
                "{}: {commands}",
                spec.id
            );
            assert!(!spec.needs.is_empty() || spec.toolchain != Toolchain::System);
        }
    }

    #[test]
    fn a_language_runs_only_with_all_its_binaries() {
        let dir = tempfile::tempdir().unwrap();
        let host = fake_host(
            dir.path(),
            &["python3", "javac", "gcc", "node"],
            false,
            false,
        );
        let languages = Languages::detect_on(&host);
        assert!(languages.runnable("python"));
        assert!(languages.runnable("c"));
        assert!(languages.runnable("javascript"));
        // javac without java, and kotlinc without anything.
        assert!(!languages.runnable("java"));
        assert!(!languages.runnable("kotlin"));
        assert!(!languages.runnable("csharp"));
        // node alone is not TypeScript: the transpiler is missing.
        assert!(!languages.runnable("typescript"));
        assert!(!languages.runnable("rust"));
        // Unknown ids are not languages at all.
        assert!(languages.get("cobol").is_none());
        assert!(!languages.runnable("cobol"));
        assert_eq!(languages.get("go").unwrap().id(), "go");
        let infos = languages.infos();
        assert_eq!(infos.len(), api::LANGUAGES.len());
        assert!(
            infos
                .iter()
                .any(|i| i.id == "python" && i.runnable && i.label == "Python")
        );
        assert!(infos.iter().any(|i| i.id == "csharp" && !i.runnable));
    }

    #[test]
    fn private_toolchains_and_etc_dirs_are_bound() {
        let dir = tempfile::tempdir().unwrap();
        let host = fake_host(dir.path(), &["node", "cc", "java", "javac"], true, true);
        let languages = Languages::detect_on(&host);
        let rust = languages.get("rust").unwrap();
        assert!(rust.runnable);
        assert!(
            rust.binds
                .iter()
                .any(|b| b.host == dir.path().join("rust") && b.sandbox == Path::new("/opt/rust"))
        );
        let ts = languages.get("typescript").unwrap();
        assert!(ts.runnable);
        assert!(
            ts.binds
                .iter()
                .any(|b| b.sandbox == Path::new("/opt/esbuild/esbuild"))
        );
        let java = languages.get("java").unwrap();
        assert!(java.runnable);
        let etc: Vec<&Path> = java.binds.iter().map(|b| b.sandbox.as_path()).collect();
        assert_eq!(
            etc,
            [
                Path::new("/etc/alternatives"),
                Path::new("/etc/java-17-openjdk")
            ]
        );
        // Python needs nothing from /etc and nothing private.
        assert!(languages.get("python").unwrap().binds.is_empty());
    }

    #[test]
    fn the_sql_seed_is_the_documented_sample() {
        let sql = languages_sql();
        assert!(sql.contains("CREATE TABLE departments"));
        assert!(sql.contains("CREATE TABLE employees"));
        let spec = SPECS.iter().find(|s| s.id == "sql").unwrap();
        assert_eq!(spec.files, &[("/opt/seed.sql", SQL_SEED)]);
        assert!(spec.run.contains("/opt/seed.sql"));
    }

    fn languages_sql() -> &'static str {
        SQL_SEED
    }
}
