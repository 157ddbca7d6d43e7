// The drawing pad: strokes of a round pen on a transparent canvas, from a
// mouse, a pen or a finger (pointer events), reported as they grow.

// Pen width as a share of the canvas side: MNIST's strokes are about a
// tenth of the digit's height.
const PEN_SHARE = 0.07;

export interface Pad {
  clear(): void;
  /** The drawing as RGBA pixels: ink opaque, the rest transparent. */
  image(): ImageData;
}

/** Makes `canvas` a pad; `onChange` runs at most once a frame. */
export function drawingPad(
  canvas: HTMLCanvasElement,
  onChange: () => void,
): Pad {
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  context.lineCap = 'round';
  context.lineJoin = 'round';
  context.strokeStyle = '#111';
  context.fillStyle = '#111';
  context.lineWidth = canvas.width * PEN_SHARE;

  let last: { x: number; y: number } | null = null;
  let pending = false;
  const changed = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      onChange();
    });
  };
  // From page pixels to the canvas's own, whatever size CSS gives it.
  const at = (event: PointerEvent) => {
    const box = canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) * canvas.width) / box.width,
      y: ((event.clientY - box.top) * canvas.height) / box.height,
    };
  };

  canvas.addEventListener('pointerdown', (event) => {
    canvas.setPointerCapture(event.pointerId);
    last = at(event);
    context.beginPath();
    context.arc(last.x, last.y, context.lineWidth / 2, 0, 2 * Math.PI);
    context.fill();
    changed();
  });
  canvas.addEventListener('pointermove', (event) => {
    if (last === null) return;
    // Coalesced events keep a fast stroke smooth.
    const points = event.getCoalescedEvents?.() ?? [event];
    context.beginPath();
    context.moveTo(last.x, last.y);
    for (const point of points.length > 0 ? points : [event]) {
      last = at(point);
      context.lineTo(last.x, last.y);
    }
    context.stroke();
    changed();
  });
  const lift = () => {
    last = null;
  };
  canvas.addEventListener('pointerup', lift);
  canvas.addEventListener('pointercancel', lift);

  return {
    clear() {
      context.clearRect(0, 0, canvas.width, canvas.height);
      last = null;
      changed();
    },
    image() {
      return context.getImageData(0, 0, canvas.width, canvas.height);
    },
  };
}
