#[test]
fn smoke() {
    let src = r#"
# seed example: every ruleset that handles READ_FILE
on create_ruleset where handled_fs & READ_FILE

# several events, a predicate, an action block
on add_rule_fs, add_rule_net where comm == "nginx" {
    printf("%s added %s to ruleset %x\n", comm, access_rights, ruleset)
}

# glob over event names; aggregation into a map
on deny_* { @denials[event, comm] = count() }

on deny_access_fs where path =~ "/etc/**" and not logged {
    @etc[comm, path] = count()
}

BEGIN { printf("tracing Landlock... Ctrl-C to stop\n") }
every 5s { print(@denials); clear(@denials) }
END { print(@etc, 10) }
list web_servers = ["nginx", "apache2", "caddy"]
macro sensitive = path =~ "/etc/**" or path =~ "/root/**"
on deny_access_fs where comm in web_servers and sensitive { @[comm, path] = count() }
on x where a in 1..1024 and not b in [1, 2..5] { if a { print } else if b { $x = 1 } else { exit() } }
"#;
    let p = landtrace_grammar::parse_program(src).unwrap();
    println!("{:#?}", p.items[1]);
    assert_eq!(p.items.len(), 11);
    for bad in
        ["on deny_access_fs where", "on x where a == b == c", "on x { @a = }\non y where\non z where q"]
    {
        let e = landtrace_grammar::parse_program(bad).unwrap_err();
        println!("{bad:?} -> {e:#?}");
    }
}
