//! What the rendering snapshot tests share.

use keytrail_core::Alert;

/// Gives `alert` the notes of a hostile rule: a mention, a forged link and a line break in a
/// false positive, references that must not become links (a forged label, `javascript:`, an
/// unescaped query) and one that may, and a tag with a mention and a backtick.
pub fn add_hostile_notes(alert: &mut Alert) {
    alert.falsepositives.push(
        "<!channel> when *everyone* agrees\r\nSubject: forged <https://evil.example|here>"
            .to_owned(),
    );
    alert.references.extend([
        "https://evil.example/x|Open in the CloudTrail console>".to_owned(),
        "javascript:alert(1)".to_owned(),
        "https://example.com/?a=1&b=<2>".to_owned(),
        "https://example.com/ok?a=1&b=2".to_owned(),
    ]);
    alert.tags.push("attack.<@U024BE7LH>`x`".to_owned());
}
