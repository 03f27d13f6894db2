"""The expression language: grammar, syntax tree and safe evaluation of expressions."""
