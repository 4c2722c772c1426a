"""Training for review-scorer: prepare data, train fastText, package BlazingText artifacts."""
