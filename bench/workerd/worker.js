// The hello handler of bench/bench-fn.sh, as a workerd module Worker.
export default {
  fetch() {
    return new Response('hello');
  },
};
