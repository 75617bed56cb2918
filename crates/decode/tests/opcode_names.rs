//! `Opcode::name` reads each name out of one concatenated string by a table of ends: every
//! operator must get exactly its own name.

use spindle_decode::Opcode;

#[test]
fn names_are_the_operators_own() {
    assert_eq!(Opcode::Unreachable.name(), "unreachable");
    assert_eq!(Opcode::I32Add.name(), "i32_add");
    assert_eq!(
        Opcode::F64x2PromoteLowF32x4.name(),
        "f64x2_promote_low_f32x4"
    );
    assert_eq!(
        Opcode::I64AtomicRmw32CmpxchgU.name(),
        "i64_atomic_rmw32_cmpxchg_u"
    );
    let mut seen = std::collections::HashSet::new();
    for prefix in [0u8, 0xFB, 0xFC, 0xFD, 0xFE] {
        for code in 0..=0x200u32 {
            let Some(op) = Opcode::from_code(prefix, code) else {
                continue;
            };
            let name = op.name();
            // The name is the variant's, in snake case: compare them letter by letter.
            let camel: String = format!("{op:?}").to_lowercase();
            assert_eq!(name.replace('_', ""), camel, "{prefix:#x} {code:#x}");
            assert!(seen.insert(name), "{name} twice");
        }
    }
    assert_eq!(seen.len(), Opcode::COUNT);
}
