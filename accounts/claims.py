"""How an ID becomes a company's first super user (filled in by the licensing work)."""
