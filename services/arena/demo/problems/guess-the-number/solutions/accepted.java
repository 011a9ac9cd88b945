import java.io.BufferedReader;
import java.io.InputStreamReader;

public class Main {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        long low = 1, high = Long.parseLong(in.readLine().trim());
        while (low < high) {
            long middle = (low + high) / 2;
            System.out.println("? " + middle);
            System.out.flush();
            String answer = in.readLine().trim();
            if (answer.equals("=")) { low = middle; high = middle; }
            else if (answer.equals("<")) high = middle - 1;
            else low = middle + 1;
        }
        System.out.println("! " + low);
        System.out.flush();
    }
}
