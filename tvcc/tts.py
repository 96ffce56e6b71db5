"""Text to 8 kHz prompts for Asterisk, with espeak-ng (Mandarin) and sox.

Used for IVR prompts and voice-broadcast messages. Uploaded audio goes
through the same conversion so Asterisk always plays 8 kHz mono 16-bit WAV.
"""
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import wave

VOICE = 'cmn'
SAMPLE_RATE = 8000


class TTSError(Exception):
    "Speech could not be rendered (the message says why)"


def _require(program, package):
    if shutil.which(program) is None:
        raise TTSError(f'{program} is not installed (apt-get install '
            f'{package})')


def to_prompt_wav(source_path, target_path):
    "Convert any audio sox reads to 8 kHz mono 16-bit WAV"
    _require('sox', 'sox')
    result = subprocess.run(
        ['sox', str(source_path), '-r', str(SAMPLE_RATE), '-c', '1',
            '-b', '16', '-e', 'signed-integer', str(target_path)],
        capture_output=True, text=True)
    if result.returncode:
        raise TTSError(f'sox could not convert the audio: '
            f'{result.stderr.strip() or result.returncode}')


def synthesize(text, voice=VOICE, speed=160):
    "Return the 8 kHz WAV bytes of text spoken by espeak-ng"
    text = (text or '').strip()
    if not text:
        raise TTSError('there is no text to speak')
    _require('espeak-ng', 'espeak-ng')
    with tempfile.TemporaryDirectory(prefix='tvcc-tts-') as folder:
        raw = os.path.join(folder, 'raw.wav')
        final = os.path.join(folder, 'prompt.wav')
        # The text goes in on stdin, never as an argument: a prompt that
        # starts with "-" is spoken, not read as an option.
        result = subprocess.run(
            ['espeak-ng', '-v', voice, '-s', str(speed), '-w', raw,
                '--stdin'],
            input=text, capture_output=True, text=True)
        if result.returncode or not os.path.exists(raw):
            raise TTSError(f'espeak-ng failed: '
                f'{result.stderr.strip() or result.returncode}')
        to_prompt_wav(raw, final)
        with open(final, 'rb') as file:
            return file.read()


def convert(data, suffix='.wav'):
    "Return 8 kHz WAV bytes from uploaded audio bytes"
    with tempfile.TemporaryDirectory(prefix='tvcc-audio-') as folder:
        # The suffix (from the uploaded file's name) tells sox the format.
        if not re.fullmatch(r'\.[A-Za-z0-9]{1,8}', suffix or ''):
            suffix = '.wav'
        source = os.path.join(folder, 'upload' + suffix)
        final = os.path.join(folder, 'prompt.wav')
        with open(source, 'wb') as file:
            file.write(data)
        to_prompt_wav(source, final)
        with open(final, 'rb') as file:
            return file.read()


def wav_duration(data):
    "Seconds of audio in WAV bytes (0 when unreadable)"
    import io
    try:
        with wave.open(io.BytesIO(data)) as wav:
            return wav.getnframes() / float(wav.getframerate())
    except (wave.Error, EOFError):
        return 0.0


def digest(data):
    return hashlib.sha256(data).hexdigest()[:16]
