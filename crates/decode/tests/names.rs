//! The `name` section: function names in index order are read; a map out of order or with
//! an index twice makes the section malformed, and it is ignored (the module still decodes).

use spindle_decode::Module;

/// A module whose only section is a `name` section: module name `m`, then function names
/// at `indices` ("f0", "f1", ...).
fn with_names(indices: &[u8]) -> Vec<u8> {
    let mut funcs = vec![indices.len() as u8];
    for (k, &i) in indices.iter().enumerate() {
        funcs.extend([i, 2, b'f', b'0' + k as u8]);
    }
    let mut body = vec![4, b'n', b'a', b'm', b'e'];
    body.extend([0, 2, 1, b'm']); // subsection 0: the module's name
    body.extend([1, funcs.len() as u8]);
    body.extend(funcs);
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    m.extend([0, body.len() as u8]);
    m.extend(body);
    m
}

#[test]
fn names_in_index_order_are_read() {
    let bytes = with_names(&[0, 2, 7]);
    let m = Module::parse(&bytes).unwrap();
    assert_eq!(m.module_name, Some("m"));
    assert_eq!(m.function_name(0), Some("f0"));
    assert_eq!(m.function_name(2), Some("f1"));
    assert_eq!(m.function_name(7), Some("f2"));
    assert_eq!(m.function_name(1), None);
}

#[test]
fn names_out_of_order_or_repeated_are_ignored() {
    for indices in [&[2, 0][..], &[0, 3, 3], &[1, 5, 4]] {
        let bytes = with_names(indices);
        let m = Module::parse(&bytes).unwrap();
        assert_eq!(m.module_name, None, "{indices:?}");
        assert!(m.function_names.is_empty(), "{indices:?}");
        assert_eq!(m.function_name(indices[0] as u32), None, "{indices:?}");
        // The custom section itself is still there.
        assert_eq!(m.customs.len(), 1);
    }
}
