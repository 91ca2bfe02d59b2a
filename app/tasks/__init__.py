"""My work: every open thing that waits for one person, gathered from the areas' read models."""
