//! Finding what a Spark job needs on this machine — Java and `spark-submit`
//! — and checking that the master answers, each failure a message that
//! names what is missing and how to install it.
//!
//! `spark-submit` is looked for in this order: the `spark_submit`
//! parameter, `$SPARK_HOME/bin/spark-submit`, `spark-submit` on the `PATH`,
//! then a Python (`$PYSPARK_PYTHON`, `python3`, `python`) that can import
//! `pyspark` (a pip install carries Spark's jars and its own spark-submit).

use std::ffi::OsString;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::task::TaskError;

/// How to get Java, for messages.
pub const JAVA_HINT: &str = "install Java 17 (Debian/Ubuntu: sudo apt install openjdk-17-jre-headless; macOS: brew install openjdk@17) or set JAVA_HOME to one";
/// How to get Spark, for messages.
pub const SPARK_HINT: &str = "install it with pip install pyspark numpy (Python 3.9 or later), or download Spark from https://spark.apache.org/downloads.html and set SPARK_HOME";

/// The environment variables the search reads (a snapshot, so tests can
/// give their own).
#[derive(Clone, Debug, Default)]
pub struct Environment {
    pub path: Option<OsString>,
    pub java_home: Option<PathBuf>,
    pub spark_home: Option<PathBuf>,
    pub pyspark_python: Option<PathBuf>,
}

impl Environment {
    pub fn from_process() -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        Self {
            path: var("PATH"),
            java_home: var("JAVA_HOME").map(PathBuf::from),
            spark_home: var("SPARK_HOME").map(PathBuf::from),
            pyspark_python: var("PYSPARK_PYTHON").map(PathBuf::from),
        }
    }

    /// `name` in a folder of the `PATH`, when it is there.
    pub fn on_path(&self, name: &str) -> Option<PathBuf> {
        let path = self.path.as_ref()?;
        std::env::split_paths(path)
            .map(|dir| dir.join(name))
            .find(|p| is_executable(p))
    }
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// What was found, and how to run it.
#[derive(Clone, Debug, PartialEq)]
pub struct SparkInstall {
    pub spark_submit: PathBuf,
    /// How it was found ("SPARK_HOME", "PATH", "pyspark in /usr/bin/python3", …).
    pub found_by: String,
    pub java: PathBuf,
    /// `java -version`'s first line.
    pub java_version: String,
    /// For a pip pyspark: the Python that has it (PYSPARK_PYTHON for the job)
    /// and its Spark home.
    pub python: Option<PathBuf>,
    pub spark_home: Option<PathBuf>,
}

impl SparkInstall {
    /// The variables spark-submit needs beyond the inherited ones.
    pub fn env(&self) -> Vec<(&'static str, OsString)> {
        let mut out = Vec::new();
        if let Some(home) = self.java.parent().and_then(Path::parent) {
            out.push(("JAVA_HOME", home.as_os_str().to_owned()));
        }
        if let Some(python) = &self.python {
            out.push(("PYSPARK_PYTHON", python.as_os_str().to_owned()));
            out.push(("PYSPARK_DRIVER_PYTHON", python.as_os_str().to_owned()));
        }
        if let Some(home) = &self.spark_home {
            out.push(("SPARK_HOME", home.as_os_str().to_owned()));
        }
        out
    }
}

/// Find Java and spark-submit; `explicit` is the `spark_submit` parameter.
pub fn locate(explicit: &str, env: &Environment) -> Result<SparkInstall, TaskError> {
    let (java, java_version) = locate_java(env)?;
    let explicit = explicit.trim();
    let (spark_submit, found_by, python, spark_home) = if !explicit.is_empty() {
        let p = PathBuf::from(explicit);
        if !is_executable(&p) {
            return Err(TaskError::Input(format!(
                "the spark-submit parameter names {explicit}, which is not a program on this machine; clear it to let shoplens look for Spark, or {SPARK_HINT}"
            )));
        }
        (p, "the spark-submit parameter".to_owned(), None, None)
    } else if let Some(p) = env
        .spark_home
        .as_ref()
        .map(|h| h.join("bin").join("spark-submit"))
        .filter(|p| is_executable(p))
    {
        (p, "SPARK_HOME".to_owned(), None, None)
    } else if let Some(p) = env.on_path("spark-submit") {
        (p, "PATH".to_owned(), None, None)
    } else if let Some((python, home)) = pip_pyspark(env) {
        let submit = home.join("bin").join("spark-submit");
        if !is_executable(&submit) {
            return Err(TaskError::Input(format!(
                "{} has pyspark at {}, but without bin/spark-submit; reinstall it with pip install --force-reinstall pyspark",
                python.display(),
                home.display()
            )));
        }
        let by = format!("pyspark in {}", python.display());
        (submit, by, Some(python), Some(home))
    } else {
        return Err(TaskError::Input(format!(
            "ALS on Spark needs Apache Spark, and none was found (no SPARK_HOME, no spark-submit on the PATH, no Python with pyspark): {SPARK_HINT}; then train again"
        )));
    };
    Ok(SparkInstall {
        spark_submit,
        found_by,
        java,
        java_version,
        python,
        spark_home,
    })
}

/// `$JAVA_HOME/bin/java`, else `java` on the PATH, with its version line.
fn locate_java(env: &Environment) -> Result<(PathBuf, String), TaskError> {
    let java = match &env.java_home {
        Some(home) => {
            let java = home.join("bin").join("java");
            if !is_executable(&java) {
                return Err(TaskError::Input(format!(
                    "Spark needs Java, and JAVA_HOME ({}) has no bin/java: {JAVA_HINT}",
                    home.display()
                )));
            }
            java
        }
        None => env.on_path("java").ok_or_else(|| {
            TaskError::Input(format!(
                "Spark needs Java, and none was found (no JAVA_HOME, no java on the PATH): {JAVA_HINT}; then train again"
            ))
        })?,
    };
    // The real program, not a /usr/bin/java link, so JAVA_HOME can be set.
    let java = std::fs::canonicalize(&java).unwrap_or(java);
    let out = Command::new(&java).arg("-version").output().map_err(|e| {
        TaskError::Input(format!(
            "{} does not run ({e}): {JAVA_HINT}",
            java.display()
        ))
    })?;
    let text = String::from_utf8_lossy(&out.stderr);
    let version = text.lines().next().unwrap_or("").trim().to_owned();
    if !out.status.success() || version.is_empty() {
        return Err(TaskError::Input(format!(
            "{} -version failed ({}): {JAVA_HINT}",
            java.display(),
            version
        )));
    }
    Ok((java, version))
}

/// A Python that imports pyspark, and pyspark's folder (its Spark home).
fn pip_pyspark(env: &Environment) -> Option<(PathBuf, PathBuf)> {
    let mut candidates: Vec<PathBuf> = env.pyspark_python.iter().cloned().collect();
    candidates.extend(["python3", "python"].iter().filter_map(|n| env.on_path(n)));
    candidates.into_iter().find_map(|python| {
        let out = Command::new(&python)
            .args([
                "-c",
                "import os, pyspark; print(os.path.dirname(pyspark.__file__))",
            ])
            .env("PATH", env.path.clone().unwrap_or_default())
            .output()
            .ok()?;
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        (out.status.success() && !dir.is_empty()).then(|| (python, PathBuf::from(dir)))
    })
}

/// How long to wait for a standalone master to accept a connection.
pub const MASTER_TIMEOUT: Duration = Duration::from_secs(3);

/// Before submitting: a standalone master must accept a connection (Spark
/// itself retries for a minute before giving up), and YARN needs its
/// configuration folder.
pub fn check_master(master: &str, hadoop_conf: Option<&Path>) -> Result<(), TaskError> {
    let m = master.trim();
    if let Some(hosts) = m.strip_prefix("spark://") {
        let mut problems = Vec::new();
        for host in hosts.split(',') {
            match answers(host) {
                Ok(()) => return Ok(()),
                Err(e) => problems.push(format!("{host}: {e}")),
            }
        }
        return Err(TaskError::Input(format!(
            "the Spark master {m} does not answer ({}); check that the cluster is up and the address and port are right (the master's web page shows its spark:// URL), or use local[2] to train on this machine",
            problems.join("; ")
        )));
    }
    if m == "yarn" && hadoop_conf.is_none() {
        return Err(TaskError::Input(
            "master yarn needs the cluster's configuration: set HADOOP_CONF_DIR (or YARN_CONF_DIR) to the folder with its yarn-site.xml, or use local[2] to train on this machine".into(),
        ));
    }
    Ok(())
}

/// The folder `yarn` reads its configuration from, when set.
pub fn hadoop_conf_dir() -> Option<PathBuf> {
    ["HADOOP_CONF_DIR", "YARN_CONF_DIR"]
        .iter()
        .find_map(|v| std::env::var_os(v).filter(|v| !v.is_empty()))
        .map(PathBuf::from)
}

fn answers(host_port: &str) -> Result<(), String> {
    let addrs: Vec<_> = host_port
        .to_socket_addrs()
        .map_err(|e| format!("unknown host ({e})"))?
        .collect();
    let mut last = String::from("no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, MASTER_TIMEOUT) {
            Ok(_) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_java_says_which_package_to_install() {
        let env = Environment {
            path: Some(OsString::from("/nonexistent-bin")),
            ..Default::default()
        };
        let e = locate("", &env).unwrap_err().to_string();
        assert!(e.contains("needs Java"), "{e}");
        assert!(e.contains("openjdk-17-jre-headless"), "{e}");
    }

    #[test]
    fn a_java_home_without_java_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let env = Environment {
            java_home: Some(dir.path().to_path_buf()),
            ..Default::default()
        };
        let e = locate("", &env).unwrap_err().to_string();
        assert!(e.contains(&dir.path().display().to_string()), "{e}");
        assert!(e.contains("has no bin/java"), "{e}");
    }

    /// A PATH with Java but nothing of Spark: the message says how to get it.
    #[test]
    fn no_spark_says_pip_install_pyspark() {
        let Some(java) = Environment::from_process().on_path("java") else {
            eprintln!("skipped: no java on this machine's PATH");
            return;
        };
        let bin = tempfile::tempdir().unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&java, bin.path().join("java")).unwrap();
        let env = Environment {
            path: Some(bin.path().as_os_str().to_owned()),
            ..Default::default()
        };
        let e = locate("", &env).unwrap_err().to_string();
        assert!(e.contains("needs Apache Spark"), "{e}");
        assert!(e.contains("pip install pyspark"), "{e}");
        let e = locate("/no/such/spark-submit", &env)
            .unwrap_err()
            .to_string();
        assert!(e.contains("/no/such/spark-submit"), "{e}");
    }

    #[test]
    fn a_master_that_does_not_answer_is_refused_before_submitting() {
        // A port nobody listens on: bind one, note it, close it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e = check_master(&format!("spark://127.0.0.1:{port}"), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not answer"), "{e}");
        assert!(e.contains("local[2]"), "{e}");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap().port();
        assert!(check_master(&format!("spark://127.0.0.1:{open}"), None).is_ok());
        assert!(check_master("local[2]", None).is_ok());
        let e = check_master("yarn", None).unwrap_err().to_string();
        assert!(e.contains("HADOOP_CONF_DIR"), "{e}");
    }
}
