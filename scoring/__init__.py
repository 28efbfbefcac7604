"""From candidate pairs to evidence: comparators, the probabilistic model, explanations."""
