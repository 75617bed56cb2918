//! The README's command for the CMS example: it loads the example site's plugin, makes a
//! post through the hooks, logs a user in and runs the cron job.

#[test]
fn the_example_site_runs() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cms"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "plugin slugs: loaded",
        "Slugs and Markdown 1.0.0 (4 instances)",
        "post post-1 'Hello, Plugins!' at /hello-plugins:\n<h1>Hello</h1>",
        "on-login: 1 plugin(s)",
        "cron jobs run: [\"slugs/count calls\"]",
        "event 1 from slugs: post.created post-1",
        "event 2 from slugs: cron.tick count_calls",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}
