//! A Claude Code line read with the [`json_scan`](crate::parse::json_scan) cursor into
//! the same [`Line`] serde reads: the fields the parser uses, the rest skipped. Any
//! other shape (a second copy of a field, a message or block that is not an object, an
//! escaped key) is [`Off`], and the line goes to serde.

use super::{Block, CacheCreation, Line, Message, ToolUses, Usage, tool_call};
use crate::parse::json_scan::{Cursor, Scanned};

pub use crate::parse::json_scan::Off;

/// Marks `key` (its bit in `seen`) as read, [`Off`] if it was read before: serde calls a
/// second copy of a field an error.
fn first(seen: &mut u8, bit: u8) -> Scanned<()> {
    if *seen & (1 << bit) != 0 {
        return Err(Off);
    }
    *seen |= 1 << bit;
    Ok(())
}

pub fn line(text: &str) -> Scanned<Line<'_>> {
    let mut c = Cursor::new(text)?;
    let mut line = Line::default();
    let mut seen = 0;
    c.object(|key, c| {
        let bit = match key {
            "timestamp" => 0,
            "sessionId" => 1,
            "requestId" => 2,
            "isSidechain" => 3,
            "agentId" => 4,
            "cwd" => 5,
            "costUSD" => 6,
            "message" => 7,
            _ => return c.skip(),
        };
        first(&mut seen, bit)?;
        match bit {
            0 => line.timestamp = c.opt_string()?,
            1 => line.session_id = c.opt_string()?,
            2 => line.request_id = c.opt_string()?,
            3 => line.is_sidechain = c.opt_bool()?,
            4 => line.agent_id = c.opt_string()?,
            5 => line.cwd = c.opt_string()?,
            6 => line.cost_usd = c.serde()?,
            _ => line.message = message(c)?,
        }
        Ok(())
    })?;
    c.end()?;
    Ok(line)
}

fn message<'a>(c: &mut Cursor<'a>) -> Scanned<Option<Message<'a>>> {
    if c.null()? {
        return Ok(None);
    }
    let mut message = Message::default();
    let mut seen = 0;
    c.object(|key, c| {
        let bit = match key {
            "id" => 0,
            "model" => 1,
            "usage" => 2,
            "content" => 3,
            "stop_reason" => 4,
            _ => return c.skip(),
        };
        first(&mut seen, bit)?;
        match bit {
            0 => message.id = c.opt_string()?,
            1 => message.model = c.opt_string()?,
            2 => message.usage = usage(c)?,
            3 => message.content = content(c)?,
            _ => message.stop_reason = c.opt_string()?,
        }
        Ok(())
    })?;
    Ok(Some(message))
}

fn usage(c: &mut Cursor<'_>) -> Scanned<Option<Usage>> {
    if c.null()? {
        return Ok(None);
    }
    let mut usage = Usage::default();
    let mut seen = 0;
    c.object(|key, c| {
        let bit = match key {
            "input_tokens" => 0,
            "cache_creation_input_tokens" => 1,
            "cache_read_input_tokens" => 2,
            "cache_creation" => 3,
            "output_tokens" => 4,
            _ => return c.skip(),
        };
        first(&mut seen, bit)?;
        match bit {
            0 => usage.input_tokens = c.opt_u64()?,
            1 => usage.cache_creation_input_tokens = c.opt_u64()?,
            2 => usage.cache_read_input_tokens = c.opt_u64()?,
            3 => usage.cache_creation = cache_creation(c)?,
            _ => usage.output_tokens = c.opt_u64()?,
        }
        Ok(())
    })?;
    Ok(Some(usage))
}

fn cache_creation(c: &mut Cursor<'_>) -> Scanned<Option<CacheCreation>> {
    if c.null()? {
        return Ok(None);
    }
    let mut cache = CacheCreation::default();
    let mut seen = 0;
    c.object(|key, c| match key {
        "ephemeral_1h_input_tokens" => {
            first(&mut seen, 0)?;
            cache.ephemeral_1h_input_tokens = c.opt_u64()?;
            Ok(())
        }
        _ => c.skip(),
    })?;
    Ok(Some(cache))
}

/// Text, `null` and an object hold no tool calls (as the serde visitor reads them); a list
/// holds blocks, or `null`s.
fn content(c: &mut Cursor<'_>) -> Scanned<ToolUses> {
    let mut tools = Vec::new();
    if c.null()? {
        return Ok(ToolUses(tools));
    }
    match c.peek()? {
        b'[' => {}
        b'"' | b'{' => {
            c.skip()?;
            return Ok(ToolUses(tools));
        }
        _ => return Err(Off),
    }
    c.array(|c| {
        if c.null()? {
            return Ok(());
        }
        tools.extend(tool_call(block(c)?));
        Ok(())
    })?;
    Ok(ToolUses(tools))
}

fn block<'a>(c: &mut Cursor<'a>) -> Scanned<Block<'a>> {
    let mut block = Block {
        kind: None,
        id: None,
        name: None,
    };
    let mut seen = 0;
    c.object(|key, c| {
        let bit = match key {
            "type" => 0,
            "id" => 1,
            "name" => 2,
            _ => return c.skip(),
        };
        first(&mut seen, bit)?;
        let value = c.opt_string()?;
        match bit {
            0 => block.kind = value,
            1 => block.id = value,
            _ => block.name = value,
        }
        Ok(())
    })?;
    Ok(block)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::sample::Index;

    use super::*;

    /// Turns as Claude Code writes them, and the shapes around them the scanner must read
    /// as serde does: text, thinking and tool blocks with nested inputs, escapes, numbers,
    /// string and `null` content, a `null` message.
    const TURNS: [&str; 5] = [
        r#"{"parentUuid":"p","isSidechain":false,"cwd":"/srv/app","sessionId":"s1","version":"2.0.1","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"thinking","thinking":"plan \"it\"\nthen\\do","signature":"x"},{"type":"text","text":"caf\u00e9 \ud83e\udd80 ok"},{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"ls -la","n":[1,-2.5e3,0,true,null,{"deep":[[]]}]}}],"stop_reason":"tool_use","usage":{"input_tokens":4,"cache_creation_input_tokens":3877,"cache_read_input_tokens":10215,"cache_creation":{"ephemeral_5m_input_tokens":877,"ephemeral_1h_input_tokens":3000},"output_tokens":5,"service_tier":"standard"}},"requestId":"req_1","type":"assistant","uuid":"u1","timestamp":"2025-06-08T10:47:11.734Z","costUSD":0.25}"#,
        r#"{"parentUuid":null,"isSidechain":true,"agentId":"a1","message":{"model":"<synthetic>","content":"plain text","usage":{"input_tokens":0,"output_tokens":0},"id":"msg_2"},"timestamp":"2025-06-08T10:47:12Z"}"#,
        r#"{"parentUuid":"p","message":{"id":"m\u0031","model":"claude-haiku-4-5","content":null,"usage":null,"stop_reason":null},"requestId":null,"cwd":"C:\\Users\\me","timestamp":"2025-06-08T10:47:13.000Z"}"#,
        r#"{"parentUuid":"p","message":null,"timestamp":"2025-06-08T10:47:14.000Z","toolUseResult":{"stdout":"usage: x","code":0}}"#,
        r#"{"parentUuid":"p","message":{"content":[null,{"type":"server_tool_use","id":null,"name":"web_search","input":{}},{"type":"tool_use","name":"Read"}],"model":"m","usage":{"input_tokens":1}},"timestamp":"t"}"#,
    ];

    #[test]
    fn the_scanner_reads_every_shape_above_as_serde_does() {
        for turn in TURNS {
            let serde: Line = serde_json::from_str(turn).expect(turn);
            assert_eq!(line(turn), Ok(serde), "{turn}");
        }
    }

    /// Where the scanner reads a line, serde reads the same fields; where serde would
    /// reject it or read it otherwise, the scanner leaves it to serde. Checked on the turns
    /// above with bytes deleted, inserted or replaced (the characters JSON turns on).
    #[test]
    fn a_line_the_scanner_reads_is_read_the_same_by_serde() {
        let edit = (
            any::<Index>(),
            0..3u8,
            prop::sample::select(vec![
                '"', '\\', '{', '}', '[', ']', ',', ':', '0', '1', '-', '+', '.', 'e', 'E', ' ',
                '\t', '\n', '\u{1}', 'u', 'n', 't', 'f', 'a', 'é', '🦀',
            ]),
        );
        let case = (
            prop::sample::select(TURNS.to_vec()),
            prop::collection::vec(edit, 1..4),
        );
        crate::properties::runner(4_000)
            .run(&case, |(turn, edits)| {
                let mut chars: Vec<char> = turn.chars().collect();
                for (at, op, c) in edits {
                    let i = at.index(chars.len());
                    match op {
                        0 => drop(chars.remove(i)),
                        1 => chars.insert(i, c),
                        _ => chars[i] = c,
                    }
                }
                let text: String = chars.into_iter().collect();
                if let Ok(scanned) = line(&text) {
                    let serde = serde_json::from_str::<Line>(&text);
                    prop_assert!(serde.is_ok(), "serde rejects what the scanner read: {text}");
                    prop_assert_eq!(Ok(scanned), serde.map_err(|_| Off), "{}", text);
                }
                Ok(())
            })
            .unwrap();
    }
}
