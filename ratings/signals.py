"""What ratings announce (ids only, sent inside the service's transaction); notices listens.

    recognition_round_closed(round_id)      a round closed: its winners and their nominators hear of it
    recognition_story_written(candidate_id) a winner's story waits for their approval
"""

from django.dispatch import Signal

recognition_round_closed = Signal()
recognition_story_written = Signal()
