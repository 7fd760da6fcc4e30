"""Point of sale: station agents' cash sales, online and offline (DESIGN.md section 5, POS)."""
