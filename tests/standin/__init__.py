"""The stand-in Lean REPL: a test double speaking the REPL JSON protocol over a small logic."""
